/**
 * Runs an agent (services/agent, as one user's agent) next to `npm run dev`:
 *   npm run agent -- --id <agent id> --user <user id> [--ingest <dir>] [--downloads <dir>]
 * It seals masters found under its ingest root, releases their private blocks to licensees'
 * agents, and fetches and composes what its user downloads into its downloads directory. Keys
 * and vault live under .data/agents/<id>/. Without --token it signs a development token for
 * --user, as `npm run token` does. Its NATS creds file is issued under .data/nats-auth/creds/
 * on first start (or NATS_CREDS names one). `--nats-permissions` prints, instead, the
 * permissions of the agent's NATS user (its own jobs and compose step only).
 * Unless IPFS_API_URL names a node, the agent gets its own Kubo node (repository
 * .data/agents/<id>/kubo, its own ports, loopback only, no bootstrap, no MDNS) connected to the
 * platform's node that `npm run dev` runs: blocks travel between the nodes over IPFS.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startKubo, type StartedKubo } from '@media-vault/test-harness';
import { agentNatsPermissions } from '@media-vault/contracts';
import { issueCreds } from './dev-auth.js';
import { DEV_PORTS } from './dev-defaults.js';
import { commandLine, usageError } from './command-line.js';
import { signDevToken } from './dev-token.js';

const usage =
  'usage: npm run agent -- --id <agent id> --user <user id> [--ingest <dir>] [--downloads <dir>] [--token <jwt>]\n' +
  '       npm run agent -- --id <agent id> --nats-permissions';

const fail: (message: string) => never = (message) => usageError(usage, message);
const values = commandLine(
  {
    id: { type: 'string' },
    user: { type: 'string' },
    name: { type: 'string' },
    token: { type: 'string' },
    ingest: { type: 'string' },
    downloads: { type: 'string' },
    'nats-permissions': { type: 'boolean', default: false },
  },
  usage,
);
if (!values.id) fail('--id is required');
if (values['nats-permissions']) {
  console.log(JSON.stringify({ permissions: agentNatsPermissions(values.id) }, null, 2));
  process.exit(0);
}
if (!values.token && !values.user) fail('--user (or --token) is required');

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(root, process.env.DATA_DIR ?? '.data');
// Adding an agent is issuing its creds file: the running nats-server needs no change.
const natsCreds =
  process.env.NATS_CREDS ?? (await issueCreds(dataDir, { kind: 'agent', agent: values.id }));
// The longest life the gateway accepts (24 h): a development agent is restarted after a day.
const token =
  values.token ?? (await signDevToken({ user: values.user!, name: values.name, ttl: '24h' }));

/** The platform's node, as `npm run dev` started it: its peer id is in its repository's config. */
async function platformPeer(): Promise<{ peerId: string; swarmAddress: string }> {
  const config = JSON.parse(await readFile(resolve(dataDir, 'kubo', 'config'), 'utf8')) as {
    Identity: { PeerID: string };
  };
  const peerId = config.Identity.PeerID;
  return { peerId, swarmAddress: `/ip4/127.0.0.1/tcp/${DEV_PORTS.kuboSwarm}/p2p/${peerId}` };
}

let kubo: StartedKubo | undefined;
if (!process.env.IPFS_API_URL) {
  const peers = await platformPeer().then(
    (peer) => [peer],
    () => {
      console.error('no platform IPFS node under .data/kubo: start `npm run dev` first');
      return [];
    },
  );
  kubo = await startKubo({
    repoDir: resolve(dataDir, 'agents', values.id, 'kubo'),
    online: true,
    peers,
    label: `kubo-${values.id}`,
  });
  console.log(`agent ${values.id}: own IPFS node ${kubo.peerId} on ${kubo.apiUrl}`);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', resolve(root, 'services/agent/src/main.ts')],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      NATS_URL: process.env.NATS_URL ?? `nats://127.0.0.1:${DEV_PORTS.nats}`,
      IPFS_API_URL: process.env.IPFS_API_URL ?? kubo!.apiUrl,
      GATEWAY_URL: process.env.GATEWAY_URL ?? `http://localhost:${DEV_PORTS.gateway}`,
      NATS_CREDS: natsCreds,
      DATA_DIR: dataDir,
      HEALTH_PORT: process.env.HEALTH_PORT ?? '0',
      AGENT_ID: values.id,
      AGENT_TOKEN: token,
      AGENT_NAME: values.name ?? values.id,
      ...(values.ingest ? { INGEST_ROOT: resolve(values.ingest) } : {}),
      ...(values.downloads ? { DOWNLOAD_DIR: resolve(values.downloads) } : {}),
    },
  },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.once('exit', (code, signal) => {
  // The node goes with its agent: a studio that stops takes its node offline, as on its machine.
  void (kubo?.stop() ?? Promise.resolve()).finally(() => process.exit(code ?? (signal ? 1 : 0)));
});
