import { ConfigError } from '@media-vault/service-kit';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIpfsWorkerConfig } from '../src/config.js';

type Env = Record<string, string | undefined>;

/** The problems a ConfigError names; fails the test when the environment is accepted. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadIpfsWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

const agentEnv = { AGENT_ID: 'agent-1', AGENT_TOKEN: 'token-of-agent-1' };

describe('loadIpfsWorkerConfig: agent settings', () => {
  it('has no agent without AGENT_ID', () => {
    expect(loadIpfsWorkerConfig({}).agent).toBeUndefined();
    expect(loadIpfsWorkerConfig({ AGENT_ID: '', AGENT_NAME: 'studio' }).agent).toBeUndefined();
  });

  it.each(['AGENT_TOKEN', 'INGEST_ROOT', 'DOWNLOAD_DIR'])(
    'names %s set without AGENT_ID',
    (name) => {
      expect(problemsOf({ [name]: 'something' })).toEqual([
        `${name}: only means something with AGENT_ID`,
      ]);
    },
  );

  it('names every variable set without AGENT_ID at once', () => {
    expect(
      problemsOf({ AGENT_TOKEN: 't', INGEST_ROOT: '/srv/in', DOWNLOAD_DIR: '/srv/out' }),
    ).toEqual([
      'AGENT_TOKEN: only means something with AGENT_ID',
      'INGEST_ROOT: only means something with AGENT_ID',
      'DOWNLOAD_DIR: only means something with AGENT_ID',
    ]);
  });

  it('names AGENT_TOKEN when AGENT_ID comes without it', () => {
    expect(problemsOf({ AGENT_ID: 'agent-1' })).toEqual([
      'AGENT_TOKEN: required with AGENT_ID (npm run token prints one)',
    ]);
    expect(problemsOf({ AGENT_ID: 'agent-1', AGENT_TOKEN: '' })).toEqual([
      'AGENT_TOKEN: required with AGENT_ID (npm run token prints one)',
    ]);
  });

  it.each(['agent.one', 'agent one', 'agent/one', 'agent>', 'ab', 'a'.repeat(65)])(
    'names a bad AGENT_ID (%j)',
    (id) => {
      const problems = problemsOf({ ...agentEnv, AGENT_ID: id });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^AGENT_ID: /);
      expect(problems[0]).toContain(JSON.stringify(id));
    },
  );

  it('resolves the defaults under DATA_DIR/agents/<id> to absolute paths', () => {
    const config = loadIpfsWorkerConfig({ ...agentEnv, DATA_DIR: 'var/data' });
    const dir = resolve('var/data/agents/agent-1');
    expect(config.agent).toEqual({
      id: 'agent-1',
      token: 'token-of-agent-1',
      name: '',
      gatewayUrl: 'http://localhost:8080',
      dir,
      vaultDir: join(dir, 'vault'),
      ingestRoot: join(dir, 'ingest'),
      downloadDir: join(dir, 'downloads'),
      segmentSize: 4 * 1024 * 1024,
      privateBlockWaitMs: 600_000,
      ackWaitMs: 30_000,
      fetchConcurrency: 4,
    });
    const { agent } = config;
    for (const path of [agent!.dir, agent!.vaultDir, agent!.ingestRoot, agent!.downloadDir]) {
      expect(isAbsolute(path)).toBe(true);
    }
  });

  it('puts the agent under the default DATA_DIR when none is set', () => {
    expect(loadIpfsWorkerConfig(agentEnv).agent?.dir).toBe(resolve('.data', 'agents', 'agent-1'));
  });

  it('takes every setting from its variable, relative paths resolved', () => {
    const agent = loadIpfsWorkerConfig({
      ...agentEnv,
      AGENT_NAME: 'Studio A',
      GATEWAY_URL: 'https://vault.example.org//',
      AGENT_DIR: 'keys',
      INGEST_ROOT: 'masters/in',
      DOWNLOAD_DIR: '/srv/downloads',
      SEGMENT_SIZE: '65536',
      PRIVATE_BLOCK_WAIT_SECONDS: '5',
      JOB_ACK_WAIT_SECONDS: '120',
      FETCH_CONCURRENCY: '2',
    }).agent;
    expect(agent).toEqual({
      id: 'agent-1',
      token: 'token-of-agent-1',
      name: 'Studio A',
      gatewayUrl: 'https://vault.example.org',
      dir: resolve('keys'),
      vaultDir: resolve('keys', 'vault'),
      ingestRoot: resolve('masters/in'),
      downloadDir: '/srv/downloads',
      segmentSize: 65_536,
      privateBlockWaitMs: 5_000,
      ackWaitMs: 120_000,
      fetchConcurrency: 2,
    });
  });

  it('names a segment size or ack wait out of range', () => {
    const problems = problemsOf({ ...agentEnv, SEGMENT_SIZE: '1024', JOB_ACK_WAIT_SECONDS: '0' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['SEGMENT_SIZE', 'JOB_ACK_WAIT_SECONDS']);
  });

  // For decision: the agent checks run only once the schema passes, so one run does not name
  // every bad variable (STYLE 6) when a schema error and an agent error come together.
  it('names a stray AGENT_TOKEN beside another bad variable in one run', () => {
    const problems = problemsOf({ AGENT_TOKEN: 't', SEGMENT_SIZE: '1024' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['AGENT_TOKEN', 'SEGMENT_SIZE']);
  });
});
