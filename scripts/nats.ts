/**
 * The NATS operator's tool: issues and revokes the platform's NATS users and exports the trust
 * chain for Kubernetes. The chain lives in --dir (default .data/nats-auth, the one `npm run dev`
 * uses); in production keep that folder offline, with the operator.
 *
 *   npm run nats -- creds agent --agent <id> [--expires 30d] [--out <file>]
 *   npm run nats -- creds <gateway|tasks|assets|ipfs-worker|media-worker|observer|admin> [--out <file>]
 *   npm run nats -- revoke <creds file>        (and pushes the account to NATS_URL's servers)
 *   npm run nats -- k8s-secrets [--ca <ca.crt>] [--namespace media-vault]
 */
import { natsUserName, type NatsIdentity, type NatsIdentityKind } from '@media-vault/contracts';
import {
  issueUser,
  openAuthority,
  pushAccount,
  revokeUser,
  saveAuthority,
  serverAuthConfig,
  userOfCreds,
} from '@media-vault/nats-admin';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from './command-line.js';
import { DEV_PORTS } from './dev-defaults.js';

const usage = `usage: npm run nats -- creds <identity> [--agent <id>] [--expires <n>d] [--out <file>]
       npm run nats -- revoke <creds file>
       npm run nats -- k8s-secrets [--ca <ca.crt>] [--namespace <ns>]
options: --dir <folder with authority.json> (default .data/nats-auth)`;
const fail = (message: string): never => usageError(usage, message);

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        agent: { type: 'string' },
        expires: { type: 'string' },
        out: { type: 'string' },
        ca: { type: 'string' },
        namespace: { type: 'string', default: 'media-vault' },
      },
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();

const root = resolve(import.meta.dirname, '..');
const dir = resolve(values.dir ?? resolve(root, process.env.DATA_DIR ?? '.data', 'nats-auth'));
const kinds: NatsIdentityKind[] = [
  'admin',
  'observer',
  'gateway',
  'tasks',
  'assets',
  'ipfs-worker',
  'media-worker',
  'agent',
];

function identityOf(kind: string | undefined): NatsIdentity {
  if (!kind || !kinds.includes(kind as NatsIdentityKind)) {
    return fail(`identity must be one of ${kinds.join(', ')}`);
  }
  if (kind === 'agent') {
    if (!values.agent) return fail('an agent needs --agent <id>');
    return { kind: 'agent', agent: values.agent };
  }
  return { kind } as NatsIdentity;
}

const expiresInSeconds = (): number | undefined => {
  if (values.expires === undefined) return undefined;
  const days = /^(\d+)d$/.exec(values.expires)?.[1];
  if (!days || Number(days) < 1) return fail('--expires takes whole days, e.g. 30d');
  return Number(days) * 86_400;
};

const [command, arg] = positionals;
const authority = await openAuthority(dir);

if (command === 'creds') {
  const expires = expiresInSeconds();
  const user = await issueUser(
    authority,
    identityOf(arg),
    expires === undefined ? {} : { expiresInSeconds: expires },
  );
  if (values.out) {
    await writeFile(values.out, user.creds, { mode: 0o600 });
    console.error(`${user.name} (${user.publicKey}) → ${values.out}`);
  } else {
    process.stdout.write(user.creds);
  }
} else if (command === 'revoke') {
  if (!arg) fail('revoke needs the creds file of the user to revoke');
  const userKey = userOfCreds(new Uint8Array(await readFile(arg!)));
  const revoked = await revokeUser(authority, userKey);
  await saveAuthority(dir, revoked);
  console.error(`revoked ${userKey}`);
  // Running servers learn of it from the system account: no restart, no new configuration.
  const servers = process.env.NATS_URL ?? `nats://127.0.0.1:${DEV_PORTS.nats}`;
  await pushAccount(revoked, servers).then(
    () => console.error(`pushed the account to ${servers}`),
    (err: Error) => {
      // Recorded, not yet in force: say so, and fail, so a script does not take it as done.
      console.error(`could not push to ${servers} (${err.message}); set NATS_URL and run again`);
      process.exitCode = 1;
    },
  );
} else if (command === 'k8s-secrets') {
  // Secrets for deploy/: the server's trust chain and one creds Secret per workload.
  const ca = values.ca ? await readFile(values.ca, 'utf8') : undefined;
  const secret = (name: string, data: Record<string, string>) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: values.namespace },
      type: 'Opaque',
      stringData: data,
    });
  // The servers keep pushed accounts next to their JetStream store, on the PVC.
  const docs = [secret('nats-auth', { 'auth.conf': serverAuthConfig(authority, '/data/jwt') })];
  const workloads: [string, NatsIdentity][] = [
    ['gateway', { kind: 'gateway' }],
    ['tasks', { kind: 'tasks' }],
    ['assets', { kind: 'assets' }],
    ['ipfs-worker', { kind: 'ipfs-worker' }],
    ['media-worker', { kind: 'media-worker' }],
    ['admin', { kind: 'admin' }],
  ];
  for (const [workload, identity] of workloads) {
    const user = await issueUser(authority, identity);
    docs.push(
      secret(`nats-creds-${workload}`, {
        'user.creds': new TextDecoder().decode(user.creds),
        ...(ca ? { 'ca.crt': ca } : {}),
      }),
    );
    console.error(`nats-creds-${workload}: ${natsUserName(identity)} ${user.publicKey}`);
  }
  console.log(docs.join('\n---\n'));
} else {
  fail(command ? `unknown command ${command}` : 'a command is needed');
}
