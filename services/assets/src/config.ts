import { BaseConfig, DatabaseConfig, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

export const AssetsConfigSchema = Type.Object({
  ...BaseConfig,
  ...DatabaseConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9102 }),
});

export type AssetsConfig = Static<typeof AssetsConfigSchema>;

export const loadAssetsConfig = (
  env: Record<string, string | undefined> = process.env,
): AssetsConfig => loadConfig(AssetsConfigSchema, env);
