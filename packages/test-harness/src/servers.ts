import { startKubo } from './kubo.js';
import { startNats, type NatsAccess } from './nats.js';
import { startPostgres } from './postgres.js';

export interface ServerUrls {
  /** Superuser URL of the test cluster's `postgres` database; tests create their own databases. */
  readonly postgresUrl?: string;
  readonly natsUrl?: string;
  /** The NATS server's trust chain directory: `natsAccess(urls)` connects as any identity. */
  readonly natsAuthDir?: string;
  readonly kuboApiUrl?: string;
}

export interface StartedServers {
  readonly urls: ServerUrls;
  stop(): Promise<void>;
}

export interface ServerChoice {
  readonly postgres?: boolean;
  readonly nats?: boolean;
  readonly kubo?: boolean;
}

/** Starts the chosen real servers side by side; any failure stops those already started. */
export async function startServers(choice: ServerChoice): Promise<StartedServers> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.allSettled(stops.map((s) => s()));
  };
  try {
    const [pg, nats, kubo] = await Promise.all([
      choice.postgres ? startPostgres().then((s) => (stops.push(s.stop), s)) : undefined,
      choice.nats ? startNats().then((s) => (stops.push(s.stop), s)) : undefined,
      choice.kubo ? startKubo().then((s) => (stops.push(s.stop), s)) : undefined,
    ]);
    return {
      urls: {
        ...(pg ? { postgresUrl: pg.url } : {}),
        ...(nats ? { natsUrl: nats.url, natsAuthDir: nats.authDir } : {}),
        ...(kubo ? { kuboApiUrl: kubo.apiUrl } : {}),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Names unique across test files and runs, for databases, streams and buckets. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** The NATS server of a global set-up, as `connectAs` and `natsEnv` take it. */
export function natsAccess(urls: ServerUrls): NatsAccess {
  if (!urls.natsUrl || !urls.natsAuthDir) throw new Error('this test run started no NATS server');
  return { url: urls.natsUrl, authDir: urls.natsAuthDir };
}
