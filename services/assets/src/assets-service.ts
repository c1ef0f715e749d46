import { natsPermissions, Services } from '@media-vault/contracts';
import { Streams } from '@media-vault/contracts';
import {
  createPrincipalVerifier,
  createRuntime,
  databaseDrivers,
  principalKeysOf,
  serveCommands,
  untilNatsReady,
  type ServiceRuntime,
} from '@media-vault/service-kit';
import { fileURLToPath } from 'node:url';
import { assetHandlers } from './audio/asset.handlers.js';
import { guardCommands } from './audio/asset.permissions.js';
import { findAsset } from './audio/asset.repository.js';
import { createAssetUseCases, type AssetUseCases } from './audio/asset.use-cases.js';
import { startDraftExpiry } from './audio/draft-expiry.schedule.js';
import { OrphanChunksUseCase } from './audio/orphan-chunks.use-case.js';
import { consumePipelineJobs } from './audio/pipeline.consumers.js';
import type { AssetsConfig } from './config.js';
import { schema } from './db/index.js';
import { openAssetBuckets } from './storage/buckets.js';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

export interface AssetsService {
  readonly runtime: ServiceRuntime<typeof schema>;
  readonly assets: AssetUseCases;
  readonly healthPort: number;
  close(): Promise<void>;
}

/** Owns audio assets, their chunks and review history; answers `svc.assets.*`. */
export async function startAssetsService(config: AssetsConfig): Promise<AssetsService> {
  const runtime = await createRuntime({
    service: Services.assets,
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    natsInboxPrefix: natsPermissions({ kind: 'assets' }).inboxPrefix,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
    streams: [Streams.events.name, Streams.jobs.name],
    database: {
      schema,
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      migrationsFolder,
      drivers: databaseDrivers,
    },
  });
  try {
    const staging = await untilNatsReady(
      'staging buckets',
      () => openAssetBuckets(runtime.nc, config, config.STREAM_REPLICAS),
      { log: runtime.log },
    );
    const { db } = runtime.database;
    const assets = createAssetUseCases(db, {
      chunkSize: config.ASSET_CHUNK_SIZE,
      maxSize: config.ASSET_MAX_SIZE,
    });
    const pipeline = await consumePipelineJobs(
      runtime.nc,
      assets.merge,
      runtime.relay,
      runtime.log,
      staging.buckets,
    );
    runtime.lifecycle.onClose('pipeline consumers', () => pipeline.stop());
    const expiry = startDraftExpiry({
      expiry: assets.expiry,
      relay: runtime.relay,
      ttlMs: config.DRAFT_TTL_HOURS * 3_600_000,
      orphans: new OrphanChunksUseCase(db, staging.chunks),
      orphanGraceMs: config.ORPHAN_CHUNK_GRACE_MINUTES * 60_000,
      everyMs: config.DRAFT_SWEEP_SECONDS * 1000,
      log: runtime.log,
    });
    runtime.lifecycle.onClose('draft expiry', () => expiry.stop());
    const commands = await serveCommands(runtime.nc, {
      service: Services.assets,
      version: '0.1.0',
      description: 'Audio assets: chunked upload, merge, review, download',
      handlers: guardCommands(assetHandlers(assets, runtime.relay), (id) => findAsset(db, id)),
      log: runtime.log,
      metrics: runtime.metrics,
      verifier: createPrincipalVerifier(principalKeysOf(config.PRINCIPAL_KEYS)),
    });
    runtime.lifecycle.onClose('commands', () => commands.stop());
    const healthPort = await runtime.serveHealth();
    return { runtime, assets, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
