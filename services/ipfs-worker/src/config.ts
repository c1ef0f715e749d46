import { BaseConfig, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

export const IpfsWorkerConfigSchema = Type.Object({
  ...BaseConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9103 }),
  IPFS_API_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'Kubo RPC URL; unset: embedded Helia' }),
  ),
  DATA_DIR: Type.String({ default: '.data', description: 'embedded Helia blockstore lives here' }),
});

export type IpfsWorkerConfig = Static<typeof IpfsWorkerConfigSchema>;

export const loadIpfsWorkerConfig = (
  env: Record<string, string | undefined> = process.env,
): IpfsWorkerConfig => loadConfig(IpfsWorkerConfigSchema, env);
