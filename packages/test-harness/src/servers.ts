import { startKubo } from './kubo.js';
import { startNats } from './nats.js';
import { startPostgres } from './postgres.js';

export interface ServerUrls {
  /** Superuser URL of the test cluster's `postgres` database; tests create their own databases. */
  readonly postgresUrl?: string;
  readonly natsUrl?: string;
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
        ...(nats ? { natsUrl: nats.url } : {}),
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
