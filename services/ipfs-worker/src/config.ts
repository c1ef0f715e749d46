import { StagingConfig } from '@media-vault/object-store';
import { BaseConfig, ConfigError, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

export const IpfsWorkerConfigSchema = Type.Object({
  ...BaseConfig,
  ...StagingConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9103 }),
  IPFS_API_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'Kubo RPC URL; unset: embedded Helia' }),
  ),
  DATA_DIR: Type.String({
    default: '.data',
    description: 'embedded Helia blockstore and the fs staging buckets live here',
  }),
  IPFS_FETCH_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 60,
    description: 'how long a pin of a block on another node waits without a block arriving',
  }),
  IPFS_PIN_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 12,
    description:
      'deliveries of a pin job whose block no node serves (each waiting as above, up to a minute apart) before the platform gives up seeding it',
  }),
});

export type IpfsWorkerConfig = Static<typeof IpfsWorkerConfigSchema>;

/**
 * The variables of an agent, which this worker once became when AGENT_ID was set. Named, not
 * ignored: a deployment still starting an agent this way would otherwise run a platform writer.
 */
const AGENT_VARIABLES = ['AGENT_ID', 'AGENT_TOKEN', 'AGENT_DIR', 'INGEST_ROOT', 'DOWNLOAD_DIR'];

const agentVariablesIn = (env: Record<string, string | undefined>): string[] =>
  AGENT_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '').map(
    (name) => `${name}: the agent is its own service (services/agent, npm run agent)`,
  );

/** Every bad variable in one error, the schema's and stray agent variables alike. */
export function loadIpfsWorkerConfig(
  env: Record<string, string | undefined> = process.env,
): IpfsWorkerConfig {
  const problems = agentVariablesIn(env);
  let config: IpfsWorkerConfig;
  try {
    config = loadConfig(IpfsWorkerConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...err.problems, ...problems]);
    throw err;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
