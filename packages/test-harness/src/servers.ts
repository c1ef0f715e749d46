import { startKubo } from './kubo.js';
import { startNats, type NatsAccess } from './nats.js';
import { startPostgres } from './postgres.js';
import { startS3, type S3Access } from './s3.js';

export interface ServerUrls {
  /** Superuser URL of the test cluster's `postgres` database; tests create their own databases. */
  readonly postgresUrl?: string;
  readonly natsUrl?: string;
  /** The NATS server's trust chain directory: `natsAccess(urls)` connects as any identity. */
  readonly natsAuthDir?: string;
  readonly kuboApiUrl?: string;
  /** A SeaweedFS S3 gateway and its admin keys; tests create their own buckets. */
  readonly s3?: S3Access;
}

export interface StartedServers {
  readonly urls: ServerUrls;
  stop(): Promise<void>;
}

export interface ServerChoice {
  readonly postgres?: boolean;
  readonly nats?: boolean;
  readonly kubo?: boolean;
  readonly s3?: boolean;
}

/** Starts the chosen real servers side by side; any failure stops those already started. */
export async function startServers(choice: ServerChoice): Promise<StartedServers> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.allSettled(stops.map((s) => s()));
  };
  try {
    // allSettled, not all: a server still starting when another fails must be stopped too,
    // once it is up, or it outlives the test run.
    const started = await Promise.allSettled([
      choice.postgres ? startPostgres().then((s) => (stops.push(s.stop), s)) : undefined,
      choice.nats ? startNats().then((s) => (stops.push(s.stop), s)) : undefined,
      choice.kubo ? startKubo().then((s) => (stops.push(s.stop), s)) : undefined,
      choice.s3 ? startS3().then((s) => (stops.push(s.stop), s)) : undefined,
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [pg, nats, kubo, s3] = started.map(
      (r) => (r as PromiseFulfilledResult<unknown>).value,
    ) as [
      Awaited<ReturnType<typeof startPostgres>> | undefined,
      Awaited<ReturnType<typeof startNats>> | undefined,
      Awaited<ReturnType<typeof startKubo>> | undefined,
      Awaited<ReturnType<typeof startS3>> | undefined,
    ];
    return {
      urls: {
        ...(pg ? { postgresUrl: pg.url } : {}),
        ...(nats ? { natsUrl: nats.url, natsAuthDir: nats.authDir } : {}),
        ...(kubo ? { kuboApiUrl: kubo.apiUrl } : {}),
        ...(s3
          ? {
              s3: {
                endpoint: s3.endpoint,
                region: s3.region,
                accessKeyId: s3.accessKeyId,
                secretAccessKey: s3.secretAccessKey,
              },
            }
          : {}),
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
