import { AgentId } from '@media-vault/contracts';
import { BaseConfig, ConfigError, loadConfig } from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';
import { join, resolve } from 'node:path';

export const AgentConfigSchema = Type.Object({
  ...BaseConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9105 }),
  IPFS_API_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'Kubo RPC URL; unset: embedded Helia' }),
  ),
  DATA_DIR: Type.String({ default: '.data', description: 'embedded Helia blockstore lives here' }),
  /** This process is that agent and takes only jobs.ipfs.<AGENT_ID>.> and its compose jobs. */
  AGENT_ID: Type.Optional(AgentId),
  AGENT_TOKEN: Type.Optional(
    Type.String({ minLength: 1, description: "the agent's user's token; it reports as that user" }),
  ),
  GATEWAY_URL: Type.String({
    pattern: '^https?://',
    default: 'http://localhost:8080',
    description: 'where the agent registers and reports (the seed 000 task API)',
  }),
  AGENT_NAME: Type.String({ default: '', maxLength: 200 }),
  AGENT_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'keys and vault; default DATA_DIR/agents/AGENT_ID' }),
  ),
  INGEST_ROOT: Type.Optional(
    Type.String({ minLength: 1, description: 'masters are read only from under here' }),
  ),
  DOWNLOAD_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'composed masters go here' }),
  ),
  SEGMENT_SIZE: Type.Integer({ minimum: 65_536, maximum: 67_108_864, default: 4_194_304 }),
  /** How long a fetch waits for its private block before handing the job back for later. */
  PRIVATE_BLOCK_WAIT_SECONDS: Type.Integer({ minimum: 1, default: 600 }),
  IPFS_FETCH_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 60,
    description:
      'how long a read of a block this node does not hold waits on the network without a block arriving',
  }),
  IPFS_FETCH_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 5,
    description:
      'deliveries of a fetch job, each waiting as above, before its download ends at 9; retried with a growing delay (up to a minute) in between',
  }),
  /** Downloads an agent runs at once; most of a fetch's time may be spent waiting for its key. */
  FETCH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  /** How long a job may go without a heartbeat before JetStream hands it to another worker. */
  JOB_ACK_WAIT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  FFMPEG_PATH: Type.String({ default: 'ffmpeg' }),
  FFPROBE_PATH: Type.String({
    default: 'ffprobe',
    description: 'probes the masters sealed and verifies the masters composed',
  }),
  FFMPEG_TIMEOUT_S: Type.Integer({
    minimum: 1,
    default: 900,
    description: 'longest one ffprobe run may take; a hung run would otherwise hold its job',
  }),
});

type ConfigShape = Static<typeof AgentConfigSchema>;

/** Who the agent is and where it keeps its files, resolved to absolute directories. */
export interface AgentSettings {
  readonly id: string;
  readonly token: string;
  readonly name: string;
  readonly gatewayUrl: string;
  readonly dir: string;
  readonly vaultDir: string;
  readonly ingestRoot: string;
  readonly downloadDir: string;
  readonly segmentSize: number;
  readonly privateBlockWaitMs: number;
  readonly ipfsFetchTimeoutMs: number;
  readonly fetchAttempts: number;
  readonly ackWaitMs: number;
  readonly fetchConcurrency: number;
}

export type AgentConfig = ConfigShape & { readonly agent: AgentSettings };

const given = (env: Record<string, string | undefined>, name: string): boolean =>
  env[name] !== undefined && env[name] !== '';

/** The two variables without which there is no agent, read from the raw environment. */
function identityProblems(env: Record<string, string | undefined>): string[] {
  return [
    ...(given(env, 'AGENT_ID') ? [] : ['AGENT_ID: required (the id this agent registers under)']),
    ...(given(env, 'AGENT_TOKEN')
      ? []
      : ['AGENT_TOKEN: required with AGENT_ID (npm run token prints one)']),
  ];
}

function agentSettings(config: ConfigShape & { AGENT_ID: string; AGENT_TOKEN: string }) {
  const dir = resolve(config.AGENT_DIR ?? join(config.DATA_DIR, 'agents', config.AGENT_ID));
  return {
    id: config.AGENT_ID,
    token: config.AGENT_TOKEN,
    name: config.AGENT_NAME,
    gatewayUrl: config.GATEWAY_URL.replace(/\/+$/, ''),
    dir,
    vaultDir: join(dir, 'vault'),
    ingestRoot: resolve(config.INGEST_ROOT ?? join(dir, 'ingest')),
    downloadDir: resolve(config.DOWNLOAD_DIR ?? join(dir, 'downloads')),
    segmentSize: config.SEGMENT_SIZE,
    privateBlockWaitMs: config.PRIVATE_BLOCK_WAIT_SECONDS * 1000,
    ipfsFetchTimeoutMs: config.IPFS_FETCH_TIMEOUT_SECONDS * 1000,
    fetchAttempts: config.IPFS_FETCH_ATTEMPTS,
    ackWaitMs: config.JOB_ACK_WAIT_SECONDS * 1000,
    fetchConcurrency: config.FETCH_CONCURRENCY,
  };
}

/** Every bad variable in one error, the schema's and the identity's alike. */
export function loadAgentConfig(
  env: Record<string, string | undefined> = process.env,
): AgentConfig {
  const problems = identityProblems(env);
  let config: ConfigShape;
  try {
    config = loadConfig(AgentConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...err.problems, ...problems]);
    throw err;
  }
  if (problems.length > 0 || config.AGENT_ID === undefined || config.AGENT_TOKEN === undefined) {
    throw new ConfigError(problems);
  }
  return {
    ...config,
    agent: agentSettings({ ...config, AGENT_ID: config.AGENT_ID, AGENT_TOKEN: config.AGENT_TOKEN }),
  };
}
