import { natsPermissions, type NatsIdentity } from '@media-vault/contracts';
import { issueUser, openAuthority, serverAuthConfig, writeCreds } from '@media-vault/nats-admin';
import {
  findBinary,
  freePort,
  installHints,
  startProcess,
  type StartedProcess,
} from '@media-vault/test-harness';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  /** Whether the process is running now. */
  running(): boolean;
  /** SIGKILL: no goodbye to the routes, no flush of the store. */
  kill9(): Promise<void>;
  /** Starts it again on its own ports and store (it rejoins the cluster and catches up). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, comma-separated, as NATS_URL takes it. */
  readonly url: string;
  readonly authDir: string;
  creds(identity: NatsIdentity): Promise<string>;
  connect(identity?: NatsIdentity): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/**
 * Three (or `size`) nats-servers routed to each other on loopback, each with JetStream and its own
 * store, all trusting one operator (the account resolver is per node, as in a deployment). Streams
 * made with three replicas keep a quorum through the loss of any one node.
 */
export async function startNatsCluster(dir: string, size = 3): Promise<NatsCluster> {
  const bin = findBinary('nats-server');
  if (!bin) throw new Error(`nats-server was not found. ${installHints['nats-server']}`);
  const authDir = join(dir, 'auth');
  const authority = await openAuthority(authDir);
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      route: await freePort(),
    })),
  );
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
  const nodes: ClusterNode[] = [];
  for (const [i, port] of ports.entries()) {
    const name = `n${i + 1}`;
    const home = join(dir, name);
    await mkdir(join(home, 'jwt'), { recursive: true });
    const config = join(home, 'nats.conf');
    await writeFile(
      config,
      [
        `server_name: ${name}`,
        `listen: "127.0.0.1:${port.client}"`,
        serverAuthConfig(authority, join(home, 'jwt')),
        `jetstream { store_dir: ${JSON.stringify(join(home, 'store'))} }`,
        'cluster {',
        '  name: vault',
        `  listen: "127.0.0.1:${port.route}"`,
        `  routes: [${routes.filter((_, j) => j !== i).join(', ')}]`,
        '}',
        '',
      ].join('\n'),
    );
    let proc: StartedProcess | undefined;
    let alive = false;
    const start = async () => {
      proc = await startProcess({
        command: bin,
        args: ['-c', config],
        label: `nats ${name}`,
        readyWhen: /Server is ready/,
        timeoutMs: 60_000,
      });
      alive = true;
      proc.child.once('exit', () => (alive = false));
    };
    nodes.push({
      name,
      url: `nats://127.0.0.1:${port.client}`,
      running: () => alive,
      start,
      async kill9() {
        if (!proc || !alive) return;
        const gone = new Promise((done) => proc!.child.once('exit', done));
        proc.child.kill('SIGKILL');
        await gone;
      },
      async stop() {
        if (proc && alive) await proc.stop();
      },
    });
  }
  // Started together: each waits for its routes before it says it is ready with JetStream.
  await Promise.all(nodes.map((n) => n.start()));
  const url = nodes.map((n) => n.url).join(',');
  const cluster: NatsCluster = {
    nodes,
    url,
    authDir,
    creds: async (identity) => writeCreds(authDir, await openAuthority(authDir), identity),
    async connect(identity = { kind: 'admin' }) {
      const user = await issueUser(await openAuthority(authDir), identity);
      return connect({
        servers: nodes.map((n) => n.url),
        authenticator: credsAuthenticator(user.creds),
        inboxPrefix: natsPermissions(identity).inboxPrefix,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  return cluster;
}
