import { StagingConfig } from '@media-vault/object-store';
import { AssetBuckets } from '@media-vault/contracts';
import { BaseConfig, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';
import { tmpdir } from 'node:os';

export const MediaWorkerConfigSchema = Type.Object({
  ...BaseConfig,
  ...StagingConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9104 }),
  FFMPEG_PATH: Type.String({ default: 'ffmpeg' }),
  FFPROBE_PATH: Type.String({ default: 'ffprobe' }),
  TMP_DIR: Type.String({
    default: tmpdir(),
    minLength: 1,
    description: 'merged uploads and renditions are written here while a job runs',
  }),
  FILES_BUCKET: Type.String({
    default: AssetBuckets.files,
    minLength: 1,
    description: 'object store bucket the merged files wait in for the ipfs worker',
  }),
  FFMPEG_TIMEOUT_S: Type.Integer({
    minimum: 1,
    default: 900,
    description: 'longest one ffmpeg run may take; a hung run would otherwise hold its job forever',
  }),
});

export type MediaWorkerConfig = Static<typeof MediaWorkerConfigSchema>;

export const loadMediaWorkerConfig = (
  env: Record<string, string | undefined> = process.env,
): MediaWorkerConfig => loadConfig(MediaWorkerConfigSchema, env);
