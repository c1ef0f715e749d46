import type { StreamName } from '@media-vault/contracts';
import { join } from 'node:path';
import type { openDatabase, OpenDatabase } from './database.js';
import { startHealthServer, type HealthServer, type ReadinessCheck } from './health-server.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { connectNats, type NatsConnection } from './nats.js';
import type { OutboxRelay } from './outbox.js';
import { waitForStreams } from './streams.js';

export interface RuntimeOptions<S extends Record<string, unknown>> {
  readonly service: string;
  readonly natsUrl: string;
  readonly natsCreds?: string | undefined;
  readonly natsCaFile?: string | undefined;
  /** The prefix of this process's reply subjects: its NATS user may subscribe only there. */
  readonly natsInboxPrefix: string;
  readonly logLevel: string;
  /**
   * Where `/healthz`, `/readyz` and `/metrics` listen, from the start: `/readyz` answers 503
   * until the service calls `serveHealth`. None for a process that serves them itself (the
   * gateway).
   */
  readonly healthPort?: number;
  /** The streams this process uses, waited for at start (their NATS user may only look them up). */
  readonly streams: readonly StreamName[];
  /** For services that own tables: their schema (with the outbox table) and migrations. */
  readonly database?: {
    readonly schema: S;
    readonly url?: string | undefined;
    readonly dataDir: string;
    readonly migrationsFolder: string;
    /**
     * `databaseDrivers`, handed in by the services that own tables: the database drivers and
     * drizzle are a large part of a process's memory, and the gateway and workers never load them.
     */
    readonly drivers: DatabaseDrivers;
  };
}

export interface DatabaseDrivers {
  readonly openDatabase: typeof openDatabase;
  readonly OutboxRelay: typeof OutboxRelay;
}

export interface ServiceRuntime<S extends Record<string, unknown>> {
  readonly log: Logger;
  readonly nc: NatsConnection;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  readonly database: S extends Record<string, never> ? undefined : OpenDatabase<S>;
  readonly relay: S extends Record<string, never> ? undefined : OutboxRelay;
  /** Marks the service started: `/readyz` runs the checks from now on. Returns the port. */
  serveHealth(extraChecks?: readonly ReadinessCheck[]): Promise<number>;
}

/**
 * The start-up every service shares: logger, NATS (once the streams exist), optionally the
 * database with migrations and the outbox relay, metrics and a lifecycle that closes it all.
 */
export async function createRuntime<S extends Record<string, unknown> = Record<string, never>>(
  opts: RuntimeOptions<S>,
): Promise<ServiceRuntime<S>> {
  const log = createLogger(opts.service, opts.logLevel);
  const lifecycle = new Lifecycle(log);
  const metrics = new Metrics(opts.service);
  // Listening before anything else: a process waiting for NATS or JetStream is alive (`/healthz`)
  // and says what it waits for (`/readyz` 503), rather than refusing connections or exiting.
  let phase = 'opening the database';
  let readiness: readonly ReadinessCheck[] = [
    [
      'start-up',
      () => {
        throw new Error(`starting: ${phase}`);
      },
    ],
  ];
  let health: HealthServer | undefined;
  const listen = async () => {
    health = await startHealthServer({
      port: opts.healthPort ?? 0,
      checks: () => readiness,
      metrics,
      log,
    });
    const server = health;
    lifecycle.onClose('health server', () => server.close());
  };
  try {
    if (opts.healthPort !== undefined) await listen();
    let database: OpenDatabase<S> | undefined;
    if (opts.database) {
      database = await opts.database.drivers.openDatabase({
        schema: opts.database.schema,
        url: opts.database.url,
        pgliteDir: join(opts.database.dataDir, opts.service, 'pglite'),
        migrationsFolder: opts.database.migrationsFolder,
        log,
      });
      const db = database;
      lifecycle.onClose('database', () => db.close());
    }
    phase = 'connecting to NATS';
    const nc = await connectNats(
      {
        servers: opts.natsUrl,
        name: opts.service,
        credsFile: opts.natsCreds,
        caFile: opts.natsCaFile,
        inboxPrefix: opts.natsInboxPrefix,
      },
      log,
    );
    // Draining lets replies and publishes in flight finish before the connection closes.
    lifecycle.onClose('nats', () => nc.drain());
    phase = 'waiting for JetStream and the streams';
    await waitForStreams(nc, opts.streams, log);
    phase = 'setting up';

    let relay: OutboxRelay | undefined;
    if (database && opts.database) {
      relay = new opts.database.drivers.OutboxRelay(database.db as never, nc, log);
      relay.start();
      const r = relay;
      lifecycle.onClose('outbox relay', () => r.stop());
    }

    const checks: ReadinessCheck[] = [
      [
        'nats',
        () => {
          if (nc.isClosed()) throw new Error('connection closed');
        },
      ],
    ];
    if (database) checks.push(['database', () => database.ping()]);

    return {
      log,
      nc,
      metrics,
      lifecycle,
      database: database as ServiceRuntime<S>['database'],
      relay: relay as ServiceRuntime<S>['relay'],
      async serveHealth(extraChecks = []) {
        if (!health) await listen();
        readiness = [...checks, ...extraChecks];
        // Registered last so it runs first: probes fail while the rest shuts down.
        lifecycle.onClose('readiness', () => {
          readiness = [
            [
              'shutdown',
              () => {
                throw new Error('stopping');
              },
            ],
          ];
        });
        return health!.port;
      },
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}
