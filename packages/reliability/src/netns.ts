import { execFile } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

/** A TCP port on the host's loopback that a process inside the namespace may reach. */
export interface Target {
  readonly port: number;
}

/**
 * A network namespace for one service replica, joined to the host by two veth pairs, both on
 * private /30 addresses that exist only between the host and the namespace (nothing listens on
 * an outside interface):
 *
 * - the **NATS link** (10.231.x.0/30), over which it reaches the three nats-servers;
 * - the **other link** (10.232.x.0/30), over which it reaches Postgres and Kubo, and over which
 *   the host reads its health port.
 *
 * The servers listen on 127.0.0.1 only, which a namespace cannot reach, so the host relays each
 * port from its end of a link to the loopback (a plain byte pipe per connection). Cutting the
 * NATS link (`ip link set … down`) is a partition from NATS alone: packets are dropped, no
 * connection is reset, so neither side hears of it until its own time-outs, as on a real network.
 */
export class NetworkNamespace {
  private readonly relays: Server[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly name: string,
    private readonly natsLink: string,
    private readonly otherLink: string,
    /** The host's address on each link: what the replica dials. */
    readonly natsHost: string,
    readonly otherHost: string,
    /** The namespace's address on the other link: where its health port is read. */
    readonly insideHost: string,
  ) {}

  /** Creates the namespace and its links (we run as root); `slot` keeps concurrent runs apart. */
  static async create(slot: number): Promise<NetworkNamespace> {
    const s = slot % 250;
    const ns = new NetworkNamespace(
      `mv-chaos-${slot}`,
      `mvn${slot}`,
      `mvo${slot}`,
      `10.231.${s}.1`,
      `10.232.${s}.1`,
      `10.232.${s}.2`,
    );
    try {
      await ip('netns', 'add', ns.name);
      await ip('-n', ns.name, 'link', 'set', 'lo', 'up');
      for (const [link, net] of [
        [ns.natsLink, `10.231.${s}`],
        [ns.otherLink, `10.232.${s}`],
      ] as const) {
        await ip('link', 'add', `${link}h`, 'type', 'veth', 'peer', 'name', `${link}n`);
        await ip('link', 'set', `${link}n`, 'netns', ns.name);
        await ip('addr', 'add', `${net}.1/30`, 'dev', `${link}h`);
        await ip('link', 'set', `${link}h`, 'up');
        await ip('-n', ns.name, 'addr', 'add', `${net}.2/30`, 'dev', `${link}n`);
        await ip('-n', ns.name, 'link', 'set', `${link}n`, 'up');
      }
    } catch (err) {
      await ns.destroy();
      throw new Error(
        `could not make network namespace ${ns.name} (needs root and iproute2): ${(err as Error).message}`,
      );
    }
    return ns;
  }

  /** The command line that runs `command` inside the namespace. */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, command, ...args]];
  }

  /** Relays `natsHost:port` (NATS) or `otherHost:port` to 127.0.0.1:port. */
  async relay(link: 'nats' | 'other', target: Target): Promise<void> {
    const host = link === 'nats' ? this.natsHost : this.otherHost;
    const server = createServer((inside) => {
      const outside = createConnection({ host: '127.0.0.1', port: target.port });
      for (const socket of [inside, outside]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.setNoDelay(true);
      }
      inside.pipe(outside);
      outside.pipe(inside);
      // One side gone: the other goes too, as a direct connection would.
      inside.once('error', () => outside.destroy());
      outside.once('error', () => inside.destroy());
      inside.once('close', () => outside.destroy());
      outside.once('close', () => inside.destroy());
    });
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(target.port, host, () => done());
    });
    this.relays.push(server);
  }

  /** Drops every packet on the NATS link until `heal`. */
  async cut(): Promise<void> {
    await ip('link', 'set', `${this.natsLink}h`, 'down');
  }

  async heal(): Promise<void> {
    await ip('link', 'set', `${this.natsLink}h`, 'up');
  }

  async destroy(): Promise<void> {
    for (const server of this.relays) server.close();
    for (const socket of this.sockets) socket.destroy();
    // Deleting one end of a veth pair deletes both; the namespace goes last.
    for (const link of [this.natsLink, this.otherLink]) {
      await ip('link', 'del', `${link}h`).catch(() => undefined);
    }
    await ip('netns', 'del', this.name).catch(() => undefined);
  }
}
