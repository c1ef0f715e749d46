import { BaseConfig, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

export const MediaWorkerConfigSchema = Type.Object({
  ...BaseConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9104 }),
  FFMPEG_PATH: Type.String({ default: 'ffmpeg' }),
  FFPROBE_PATH: Type.String({ default: 'ffprobe' }),
});

export type MediaWorkerConfig = Static<typeof MediaWorkerConfigSchema>;

export const loadMediaWorkerConfig = (
  env: Record<string, string | undefined> = process.env,
): MediaWorkerConfig => loadConfig(MediaWorkerConfigSchema, env);
