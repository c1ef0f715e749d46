import type { JetStreamClient } from '@nats-io/jetstream';
import { ConfigError, loadConfig } from '@media-vault/service-kit';
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { openFsObjectStore } from './fs.adapter.js';
import { openNatsObjectStore, type NatsObjectStoreOptions } from './nats.adapter.js';
import type { ObjectStorePort } from './object-store-port.js';
import { openS3ObjectStore } from './s3.adapter.js';

/**
 * The variables that choose and reach an object store. A service spreads them into its own
 * config schema (`...ObjectStoreConfig`) so one start-up error names every bad variable, then
 * turns the values into settings with `objectStoreSettingsOf`.
 */
export const ObjectStoreConfig = {
  OBJECT_STORE: Type.Union([Type.Literal('fs'), Type.Literal('s3'), Type.Literal('nats')], {
    default: 'fs',
    description: 'where staged bytes live: fs (a directory), s3 (a bucket), nats (JetStream)',
  }),
  S3_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$',
      description: "the S3 API's base URL; unset: AWS S3 in S3_REGION",
    }),
  ),
  S3_REGION: Type.String({
    pattern: '^[a-z0-9-]{1,64}$',
    default: 'us-east-1',
    description: 'the region requests are signed for (any value most other servers accept)',
  }),
  S3_BUCKET: Type.Optional(
    Type.String({
      // S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens.
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description: 'the bucket, which must exist; required when OBJECT_STORE=s3',
    }),
  ),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  S3_FORCE_PATH_STYLE: Type.Optional(
    Type.Boolean({
      description: 'bucket in the path, not the host name; default: true when S3_ENDPOINT is set',
    }),
  ),
} satisfies TProperties;

const ObjectStoreConfigSchema = Type.Object(ObjectStoreConfig);
export type ObjectStoreConfigValues = Static<typeof ObjectStoreConfigSchema>;

export type ObjectStoreSettings =
  | { readonly kind: 'fs'; readonly directory: string }
  | {
      readonly kind: 's3';
      readonly endpoint?: string;
      readonly region: string;
      readonly bucket: string;
      readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
      readonly forcePathStyle: boolean;
    }
  | { readonly kind: 'nats'; readonly bucket: string };

/** What only the service knows: where its files go, and its bucket name on NATS. */
export interface ObjectStoreDefaults {
  /** The fs adapter's directory (typically under DATA_DIR). */
  readonly directory: string;
  /** The JetStream object store bucket for OBJECT_STORE=nats. */
  readonly natsBucket: string;
}

/** Checks what the schema alone cannot (which variables go together) and builds the settings. */
export function objectStoreSettingsOf(
  config: ObjectStoreConfigValues,
  defaults: ObjectStoreDefaults,
): ObjectStoreSettings {
  if (config.OBJECT_STORE === 'fs') return { kind: 'fs', directory: defaults.directory };
  if (config.OBJECT_STORE === 'nats') return { kind: 'nats', bucket: defaults.natsBucket };
  const problems: string[] = [];
  if (config.S3_BUCKET === undefined) problems.push('S3_BUCKET: required when OBJECT_STORE=s3');
  const id = config.S3_ACCESS_KEY_ID;
  const secret = config.S3_SECRET_ACCESS_KEY;
  if ((id === undefined) !== (secret === undefined)) {
    problems.push(
      `${id === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'}: required with ${
        id === undefined ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'
      } (set both, or neither for the SDK's default credentials)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    kind: 's3',
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    region: config.S3_REGION,
    bucket: config.S3_BUCKET!,
    ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
    // Self-hosted servers rarely have a wildcard DNS name per bucket; AWS wants virtual hosts.
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? config.S3_ENDPOINT !== undefined,
  };
}

/** Reads the object store's variables alone; ConfigError names each bad one. */
export function readObjectStoreSettings(
  env: Record<string, string | undefined>,
  defaults: ObjectStoreDefaults,
): ObjectStoreSettings {
  const problems: string[] = [];
  // TypeBox converts any casing of true/false and also 1/0; only the words are accepted here,
  // so a typo such as "ture" is named instead of read as false.
  const pathStyle = env.S3_FORCE_PATH_STYLE;
  if (pathStyle !== undefined && pathStyle !== '' && !/^(true|false)$/.test(pathStyle)) {
    problems.push(`S3_FORCE_PATH_STYLE: Expected true or false (got ${JSON.stringify(pathStyle)})`);
  }
  let config: ObjectStoreConfigValues | undefined;
  try {
    config = loadConfig(ObjectStoreConfigSchema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.filter((p) => !p.startsWith('S3_FORCE_PATH_STYLE:')));
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return objectStoreSettingsOf(config, defaults);
}

export interface ObjectStoreContext {
  /** Needed for OBJECT_STORE=nats only. */
  readonly jetstream?: JetStreamClient;
  readonly nats?: NatsObjectStoreOptions;
}

/** Opens the store the settings name. */
export async function openObjectStore(
  settings: ObjectStoreSettings,
  context: ObjectStoreContext = {},
): Promise<ObjectStorePort> {
  switch (settings.kind) {
    case 'fs':
      return openFsObjectStore({ directory: settings.directory });
    case 's3':
      return openS3ObjectStore(settings);
    case 'nats':
      if (!context.jetstream) throw new Error('OBJECT_STORE=nats needs a JetStream client');
      return openNatsObjectStore(context.jetstream, settings.bucket, context.nats);
  }
}
