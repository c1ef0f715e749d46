import { StagingConfig } from '@media-vault/object-store';
import {
  BaseConfig,
  CommandServiceConfig,
  ConfigError,
  DatabaseConfig,
  loadConfig,
} from '@media-vault/service-kit';
import { MAX_ASSET_CHUNK_SIZE } from '@media-vault/contracts';
import { Type, type Static } from '@sinclair/typebox';

const MiB = 1024 * 1024;

export const AssetsConfigSchema = Type.Object({
  ...BaseConfig,
  ...DatabaseConfig,
  ...StagingConfig,
  ...CommandServiceConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9102 }),
  ASSET_CHUNK_SIZE: Type.Integer({
    minimum: 64 * 1024,
    maximum: MAX_ASSET_CHUNK_SIZE,
    default: 5 * MiB,
    description: 'bytes per upload chunk, advertised in the chunk plan',
  }),
  ASSET_MAX_SIZE: Type.Integer({
    minimum: 1,
    default: 4 * 1024 * MiB,
    description: 'largest audio file accepted, bytes',
  }),
  DRAFT_TTL_HOURS: Type.Number({
    exclusiveMinimum: 0,
    default: 24,
    description: 'abandoned drafts older than this are deleted and their chunks freed',
  }),
  DRAFT_SWEEP_SECONDS: Type.Integer({ minimum: 1, default: 300 }),
  ORPHAN_CHUNK_GRACE_MINUTES: Type.Number({
    exclusiveMinimum: 0,
    default: 60,
    description:
      'a staged chunk no chunk row points at is deleted once this old (an upload cut off ' +
      'between storing and recording its chunk)',
  }),
});

export type AssetsConfig = Static<typeof AssetsConfigSchema>;

/**
 * A merge job lists every chunk and must fit in one NATS message (1 MiB by default), so the
 * largest file may have at most this many chunks.
 */
export const MAX_CHUNKS = 10_000;

export const loadAssetsConfig = (
  env: Record<string, string | undefined> = process.env,
): AssetsConfig => {
  const config = loadConfig(AssetsConfigSchema, env);
  if (Math.ceil(config.ASSET_MAX_SIZE / config.ASSET_CHUNK_SIZE) > MAX_CHUNKS) {
    throw new ConfigError([
      `ASSET_MAX_SIZE / ASSET_CHUNK_SIZE: at most ${MAX_CHUNKS} chunks per file; raise ASSET_CHUNK_SIZE or lower ASSET_MAX_SIZE`,
    ]);
  }
  return config;
};
