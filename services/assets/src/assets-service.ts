import { Services } from '@media-vault/contracts';
import { createRuntime, serveCommands, type ServiceRuntime } from '@media-vault/service-kit';
import { fileURLToPath } from 'node:url';
import type { AssetsConfig } from './config.js';
import { schema } from './db/index.js';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

export interface AssetsService {
  readonly runtime: ServiceRuntime<typeof schema>;
  readonly healthPort: number;
  close(): Promise<void>;
}

/** Owns audio assets, their chunks and review history; answers `svc.assets.*`. */
export async function startAssetsService(config: AssetsConfig): Promise<AssetsService> {
  const runtime = await createRuntime({
    service: Services.assets,
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
    database: { schema, url: config.DATABASE_URL, dataDir: config.DATA_DIR, migrationsFolder },
  });
  try {
    const commands = await serveCommands(runtime.nc, {
      service: Services.assets,
      version: '0.1.0',
      description: 'Audio assets: chunked upload, merge, review, download',
      handlers: {},
      log: runtime.log,
      metrics: runtime.metrics,
    });
    runtime.lifecycle.onClose('commands', () => commands.stop());
    const healthPort = await runtime.serveHealth();
    return { runtime, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
