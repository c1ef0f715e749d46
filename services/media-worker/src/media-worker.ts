import { createRuntime, type ServiceRuntime } from '@media-vault/service-kit';
import type { MediaWorkerConfig } from './config.js';
import { toolVersion } from './ffmpeg-version.js';

export interface MediaWorker {
  readonly runtime: ServiceRuntime<Record<string, never>>;
  readonly healthPort: number;
  close(): Promise<void>;
}

/**
 * Merges, probes and transcodes with ffmpeg. At this stage it connects NATS and checks that
 * ffmpeg and ffprobe run; the merge and compose job handlers build on it.
 */
export async function startMediaWorker(config: MediaWorkerConfig): Promise<MediaWorker> {
  const runtime = await createRuntime({
    service: 'media-worker',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
  });
  try {
    const [ffmpeg, ffprobe] = await Promise.all([
      toolVersion(config.FFMPEG_PATH),
      toolVersion(config.FFPROBE_PATH),
    ]);
    runtime.log.info({ ffmpeg, ffprobe }, 'media tools found');
    const healthPort = await runtime.serveHealth([
      ['ffprobe', async () => void (await toolVersion(config.FFPROBE_PATH))],
    ]);
    return { runtime, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
