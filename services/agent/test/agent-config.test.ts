import { ConfigError } from '@media-vault/service-kit';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';

type Env = Record<string, string | undefined>;

/** The problems a ConfigError names; fails the test when the environment is accepted. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadAgentConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

const agentEnv = { AGENT_ID: 'agent-1', AGENT_TOKEN: 'token-of-agent-1' };

describe('loadAgentConfig', () => {
  it('is no agent without AGENT_ID and AGENT_TOKEN', () => {
    expect(problemsOf({})).toEqual([
      'AGENT_ID: required (the id this agent registers under)',
      'AGENT_TOKEN: required with AGENT_ID (npm run token prints one)',
    ]);
    expect(problemsOf({ AGENT_ID: '', AGENT_TOKEN: 't', AGENT_NAME: 'studio' })).toEqual([
      'AGENT_ID: required (the id this agent registers under)',
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
    const config = loadAgentConfig({ ...agentEnv, DATA_DIR: 'var/data' });
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
      ipfsFetchTimeoutMs: 60_000,
      fetchAttempts: 5,
      ackWaitMs: 30_000,
      fetchConcurrency: 4,
    });
    const { agent } = config;
    for (const path of [agent!.dir, agent!.vaultDir, agent!.ingestRoot, agent!.downloadDir]) {
      expect(isAbsolute(path)).toBe(true);
    }
  });

  it('puts the agent under the default DATA_DIR when none is set', () => {
    expect(loadAgentConfig(agentEnv).agent?.dir).toBe(resolve('.data', 'agents', 'agent-1'));
  });

  it('takes every setting from its variable, relative paths resolved', () => {
    const agent = loadAgentConfig({
      ...agentEnv,
      AGENT_NAME: 'Studio A',
      GATEWAY_URL: 'https://vault.example.org//',
      AGENT_DIR: 'keys',
      INGEST_ROOT: 'masters/in',
      DOWNLOAD_DIR: '/srv/downloads',
      SEGMENT_SIZE: '65536',
      PRIVATE_BLOCK_WAIT_SECONDS: '5',
      IPFS_FETCH_TIMEOUT_SECONDS: '7',
      IPFS_FETCH_ATTEMPTS: '3',
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
      ipfsFetchTimeoutMs: 7_000,
      fetchAttempts: 3,
      ackWaitMs: 120_000,
      fetchConcurrency: 2,
    });
  });

  it('names a segment size or ack wait out of range', () => {
    const problems = problemsOf({ ...agentEnv, SEGMENT_SIZE: '1024', JOB_ACK_WAIT_SECONDS: '0' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['SEGMENT_SIZE', 'JOB_ACK_WAIT_SECONDS']);
  });

  // One run names every bad variable (STYLE 6), the schema's and the identity's together.
  it('names a missing AGENT_ID beside another bad variable in one run', () => {
    const problems = problemsOf({ AGENT_TOKEN: 't', SEGMENT_SIZE: '1024' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['AGENT_ID', 'SEGMENT_SIZE']);
  });
});
