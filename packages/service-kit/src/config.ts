import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Raised once at start-up with every bad variable named, so one run shows all that is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads environment variables described by a TypeBox object whose keys are the variable names.
 * Values are converted (numbers, booleans) and defaulted before checking.
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // Conversion would quietly turn "80.5" into 80; a whole number must be written as one.
  const notWhole = Object.entries(schema.properties)
    .filter(([key, prop]) => prop.type === 'integer' && typeof raw[key] === 'string')
    .filter(([key]) => !/^-?\d+$/.test((raw[key] as string).trim()))
    .map(([key]) => `${key}: Expected integer (got ${JSON.stringify(env[key])})`);
  const converted = Value.Convert(schema, Value.Default(schema, raw));
  const problems = [...Value.Errors(schema, converted)].map((e) => {
    const variable = e.path.replace(/^\//, '') || '(environment)';
    const shown = env[variable] === undefined ? 'unset' : JSON.stringify(env[variable]);
    return `${variable}: ${e.message} (got ${shown})`;
  });
  const all = [...new Set([...notWhole, ...problems])];
  if (all.length > 0) throw new ConfigError(all);
  return converted as Static<T>;
}

const Port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description });

/** Variables every service reads; services extend this with their own. */
export const BaseConfig = {
  NATS_URL: Type.String({
    default: 'nats://127.0.0.1:4222',
    pattern: '^(nats|tls|wss?)://',
    description: 'NATS server URL(s), comma-separated',
  }),
  NATS_CREDS: Type.Optional(Type.String({ description: 'path of a NATS credentials file' })),
  NATS_CA_FILE: Type.Optional(
    Type.String({ description: 'CA certificate (PEM) of the NATS servers, for tls:// URLs' }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  HEALTH_PORT: Port(9100, 'port of /healthz, /readyz and /metrics; 0 picks a free port'),
  STREAM_REPLICAS: Type.Integer({
    minimum: 1,
    maximum: 5,
    default: 1,
    description: 'replicas of the JetStream streams and buckets a service creates (3 in a cluster)',
  }),
} satisfies TProperties;

/** Variables of a service that owns a database. */
export const DatabaseConfig = {
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'Postgres URL; unset: PGlite on disk',
    }),
  ),
  DATA_DIR: Type.String({
    default: '.data',
    description: 'where PGlite and other local state live',
  }),
} satisfies TProperties;

const Base64Key = '[A-Za-z0-9+/]{43}='; // 32 bytes

/** Variables of a service that serves commands: how it verifies the gateway-signed caller. */
export const CommandServiceConfig = {
  PRINCIPAL_KEYS: Type.String({
    pattern: `^${Base64Key}(,${Base64Key})*$`,
    description:
      "the gateway's principal public keys (Ed25519, base64), comma-separated: several while a key rotates",
  }),
} satisfies TProperties;

/** The comma-separated keys of PRINCIPAL_KEYS. */
export const principalKeysOf = (value: string): string[] => value.split(',');
