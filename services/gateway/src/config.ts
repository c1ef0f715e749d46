import { StagingConfig } from '@media-vault/object-store';
import { BaseConfig, ConfigError, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from './token-verifier.js';

const { HEALTH_PORT: _unused, ...base } = BaseConfig;

export const GatewayConfigSchema = Type.Object({
  ...base,
  ...StagingConfig,
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
  JWT_ISSUER: Type.Optional(
    Type.String({ description: 'required `iss` of tokens; must be set in production' }),
  ),
  JWT_AUDIENCE: Type.Optional(
    Type.String({ description: 'required `aud` of tokens; must be set in production' }),
  ),
  JWT_MAX_LIFETIME_SECONDS: Type.Integer({
    minimum: 60,
    default: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    description: 'longest a token may live (exp - iat); longer-lived tokens are refused',
  }),
  NODE_ENV: Type.String({
    default: 'development',
    description: 'production: Secure `__Host-` console cookies, issuer and audience required',
  }),
  CONSOLE_SIGN_IN_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        "the token issuer's sign-in page: the console sends people there with a `state`, and " +
        'the issuer sends them back to /console/#token=<jwt>&state=<state>',
    }),
  ),
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
      description:
        'Kubo RPC URL that asset downloads read from; unset: the embedded node under DATA_DIR',
    }),
  ),
  COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  SHUTDOWN_DRAIN_MS: Type.Integer({
    minimum: 0,
    maximum: 15_000,
    default: 5_000,
    description:
      'on SIGTERM, how long the gateway keeps serving with /readyz at 503 and `Connection: close` ' +
      'on every reply before it stops listening, so balancers and keep-alive clients move on first',
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: 600_000,
    description:
      'longest a client may take to send a whole request (headers and body): a sender that ' +
      'trickles bytes cannot hold a connection for ever; responses are not limited by it',
  }),
});

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (
  env: Record<string, string | undefined> = process.env,
): GatewayConfig => {
  const config = loadConfig(GatewayConfigSchema, env);
  const problems: string[] = [];
  if (!config.JWT_SECRET && !config.JWT_PUBLIC_KEY && !config.JWKS_URL) {
    // Refusing to start beats accepting unsigned or default-signed tokens.
    problems.push(
      'JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL: one of them must be set to verify tokens',
    );
  }
  if (config.NODE_ENV === 'production') {
    // Without them a token the same issuer minted for another service, or another issuer sharing
    // the key, would be accepted here.
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      if (!config[name]) problems.push(`${name}: must be set when NODE_ENV=production`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};
