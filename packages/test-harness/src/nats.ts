import { natsPermissions, type NatsIdentity } from '@media-vault/contracts';
import {
  ensureStreams,
  issueUser,
  openAuthority,
  SERVER_AUTH_FILE,
  writeCreds,
  type IssueOptions,
} from '@media-vault/nats-admin';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

/** Where a test server is and where its trust chain lives: enough to connect as anyone. */
export interface NatsAccess {
  readonly url: string;
  /** The operator's directory (authority seeds, server auth config, issued creds). */
  readonly authDir: string;
}

export interface StartedNats extends NatsAccess {
  readonly version: string;
  stop(): Promise<void>;
}

export const ADMIN: NatsIdentity = { kind: 'admin' };

/**
 * nats-server with JetStream and decentralised auth (an operator, the VAULT account, no
 * anonymous users), its store in a temp dir, on a free loopback port; EVENTS and JOBS provisioned
 * as the admin unless `provision` is false. `config` is more nats-server configuration text.
 */
export async function startNats(
  opts: { config?: string; provision?: boolean } = {},
): Promise<StartedNats> {
  const bin = requireBinary('nats-server', installHints['nats-server']);
  const dir = await makeTempDir('nats');
  const authDir = join(dir.path, 'auth');
  await openAuthority(authDir);
  const port = await freePort();
  const file = join(dir.path, 'nats.conf');
  await writeFile(file, `include ./auth/${SERVER_AUTH_FILE}\n${opts.config ?? ''}\n`);
  const proc = await startProcess({
    command: bin,
    args: [
      ...['-c', file, '-js', '-sd', join(dir.path, 'store'), '-a', '127.0.0.1', '-p', String(port)],
      ...['-n', `test-${port}`],
    ],
    label: 'nats-server',
    readyWhen: /Server is ready/,
  });
  const { stdout } = await run(bin, ['--version']);
  const version = stdout.trim();
  const url = `nats://127.0.0.1:${port}`;
  const access = { url, authDir };
  if (opts.provision !== false) {
    try {
      const admin = await connectAs(access);
      await ensureStreams(admin);
      await admin.drain();
    } catch (err) {
      // A server that could not be readied is stopped, not left running after the test.
      await proc.stop();
      await dir.remove();
      throw err;
    }
  }
  process.stderr.write(`${version} with JetStream and auth ready at ${url}\n`);
  return {
    ...access,
    version,
    async stop() {
      await proc.stop();
      await dir.remove();
    },
  };
}

/** The creds file of an identity on this server (issued on every call: a fresh user). */
export async function natsCreds(
  access: NatsAccess,
  identity: NatsIdentity,
  opts: IssueOptions = {},
): Promise<string> {
  return writeCreds(access.authDir, await openAuthority(access.authDir), identity, opts);
}

/** A connection as `identity` (the admin by default), with that identity's inbox prefix. */
export async function connectAs(
  access: NatsAccess,
  identity: NatsIdentity = ADMIN,
  opts: IssueOptions & { name?: string } = {},
): Promise<NatsConnection> {
  const user = await issueUser(await openAuthority(access.authDir), identity, opts);
  return connect({
    servers: access.url,
    authenticator: credsAuthenticator(user.creds),
    inboxPrefix: natsPermissions(identity).inboxPrefix,
    ...(opts.name ? { name: opts.name } : {}),
  });
}

/** `NATS_URL` and `NATS_CREDS` for a service process running as `identity`. */
export async function natsEnv(
  access: NatsAccess,
  identity: NatsIdentity,
  opts: IssueOptions = {},
): Promise<{ NATS_URL: string; NATS_CREDS: string }> {
  return { NATS_URL: access.url, NATS_CREDS: await natsCreds(access, identity, opts) };
}
