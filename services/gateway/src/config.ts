import { BaseConfig, ConfigError, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

const { HEALTH_PORT: _unused, ...base } = BaseConfig;

export const GatewayConfigSchema = Type.Object({
  ...base,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'HS256 secret (development); at least 16 characters',
    }),
  ),
  JWT_PUBLIC_KEY: Type.Optional(
    Type.String({
      pattern: 'BEGIN PUBLIC KEY',
      description: 'PEM SPKI public key (EdDSA or RS256)',
    }),
  ),
  JWT_PUBLIC_KEY_ALGORITHM: Type.Union([Type.Literal('EdDSA'), Type.Literal('RS256')], {
    default: 'EdDSA',
  }),
  JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'JWKS endpoint' })),
  PRINCIPAL_SIGNING_KEY: Type.String({
    pattern: '^[A-Za-z0-9+/]{43}=$',
    description:
      'Ed25519 seed (base64) that signs the caller on every command; services hold its public key',
  }),
  JWT_ISSUER: Type.Optional(Type.String()),
  JWT_AUDIENCE: Type.Optional(Type.String()),
  BODY_LIMIT: Type.Integer({
    minimum: 1024,
    default: 1_048_576,
    description: 'bytes per request body',
  }),
  ASSET_CHUNK_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    default: 8 * 1_048_576,
    description:
      'bytes of a base64 JSON chunk request (raw chunk uploads are bounded by the chunk plan)',
  }),
  IPFS_API_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Kubo RPC URL that asset downloads read from',
    }),
  ),
  COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
});

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (
  env: Record<string, string | undefined> = process.env,
): GatewayConfig => {
  const config = loadConfig(GatewayConfigSchema, env);
  if (!config.JWT_SECRET && !config.JWT_PUBLIC_KEY && !config.JWKS_URL) {
    // Refusing to start beats accepting unsigned or default-signed tokens.
    throw new ConfigError([
      'JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL: one of them must be set to verify tokens',
    ]);
  }
  return config;
};
