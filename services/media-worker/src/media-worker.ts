import { AssetBuckets, natsPermissions, Streams } from '@media-vault/contracts';
import { FfmpegRunner, toolVersion } from '@media-vault/media-tools';
import {
  createRuntime,
  serveJobs,
  untilNatsReady,
  type ServiceRuntime,
} from '@media-vault/service-kit';
import { openNatsObjectStore, stagingFromSettings } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import { mkdir } from 'node:fs/promises';
import type { MediaWorkerConfig } from './config.js';
import { mergeHandler } from './merge/merge.handler.js';

export interface MediaWorker {
  readonly runtime: ServiceRuntime<Record<string, never>>;
  readonly healthPort: number;
  close(): Promise<void>;
}

/**
 * Merges, probes and transcodes uploaded audio with ffmpeg: consumes jobs.media.merge once ffmpeg
 * and ffprobe are known to run; reports ffprobe in its readiness. The masters an agent decrypts
 * are verified by the agent itself (services/agent), on the machine that holds them.
 */
export async function startMediaWorker(config: MediaWorkerConfig): Promise<MediaWorker> {
  const runtime = await createRuntime({
    service: 'media-worker',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    natsInboxPrefix: natsPermissions({ kind: 'media-worker' }).inboxPrefix,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
    streams: [Streams.jobs.name],
  });
  try {
    const [ffmpegVersion, ffprobeVersion] = await Promise.all([
      toolVersion(config.FFMPEG_PATH),
      toolVersion(config.FFPROBE_PATH),
    ]);
    runtime.log.info({ ffmpeg: ffmpegVersion, ffprobe: ffprobeVersion }, 'media tools found');
    await mkdir(config.TMP_DIR, { recursive: true });

    const js = () => jetstream(runtime.nc);
    const buckets = stagingFromSettings(config, js, [
      ...Object.values(AssetBuckets),
      config.FILES_BUCKET,
    ]);
    // On NATS it is created here as well as by the assets service, so it exists before any
    // merge job; a directory is made by opening it.
    const filesStore = await untilNatsReady(
      `bucket ${config.FILES_BUCKET}`,
      () =>
        config.OBJECT_STORE === 'nats'
          ? openNatsObjectStore(js(), config.FILES_BUCKET, {
              create: {
                description: 'Merged audio files on their way from the media worker to IPFS.',
                replicas: config.STREAM_REPLICAS,
              },
            })
          : buckets.open(config.FILES_BUCKET),
      { log: runtime.log },
    );
    const ffmpeg = new FfmpegRunner({
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      timeoutSeconds: config.FFMPEG_TIMEOUT_S,
    });
    const merge = mergeHandler({
      nc: runtime.nc,
      buckets,
      ffmpeg,
      files: { bucket: config.FILES_BUCKET, store: filesStore },
      tmpDir: config.TMP_DIR,
    });
    const consumer = await serveJobs(runtime.nc, {
      worker: 'media-worker',
      handlers: { 'jobs.media.merge': merge },
      log: runtime.log,
    });
    // Registered after NATS, so it closes first: the job in hand finishes before the drain.
    runtime.lifecycle.onClose('merge consumer', () => consumer.stop());

    const healthPort = await runtime.serveHealth([
      ['ffprobe', async () => void (await toolVersion(config.FFPROBE_PATH))],
    ]);
    return { runtime, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
