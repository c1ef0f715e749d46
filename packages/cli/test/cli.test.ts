import { describe, expect, it } from 'vitest';
import { parseCommandLine, type ParseResult } from '../src/cli.js';
import { envDefaults } from '../src/config.js';
import { CliError, ExitCode } from '../src/exit-codes.js';

const env = envDefaults({ VAULT_TOKEN: 'env-token' });
const parse = (...argv: string[]) => parseCommandLine(argv, env, '9.9.9');
const run = (...argv: string[]) => {
  const result = parse(...argv);
  if (result.kind !== 'run') throw new Error(`not a run: ${JSON.stringify(result)}`);
  return result;
};
const usage = (...argv: string[]): string => {
  let result: ParseResult;
  try {
    result = parse(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.usage);
    return (err as CliError).message;
  }
  expect(result).toMatchObject({ kind: 'exit', code: ExitCode.usage });
  return result.kind === 'exit' ? result.stderr : '';
};

describe('parseCommandLine', () => {
  it('upload: folder, agent, root, series, --no-wait', () => {
    expect(run('upload', 'masters', '--agent', 'studio-1', '--root', '/ingest').invocation).toEqual(
      {
        command: 'upload',
        folder: 'masters',
        agent: 'studio-1',
        root: '/ingest',
        seriesId: 0,
        wait: true,
      },
    );
    expect(
      run('upload', 'm', '--agent', 'abc', '--root', 'r', '--series', '233', '--no-wait')
        .invocation,
    ).toMatchObject({ seriesId: 233, wait: false });
  });

  it('global options before or after the command; flags win over the environment', () => {
    const a = run('--json', '--timeout', '2.5', 'agents', '--api', 'http://gw:1/', '--token', 't');
    expect(a.global).toEqual({
      api: 'http://gw:1/',
      token: 't',
      nats: 'nats://127.0.0.1:4222',
      natsCreds: undefined,
      json: true,
      timeoutMs: 2500,
    });
    const b = run('private', 'list', '--nats', 'nats://n:4222');
    expect(b.invocation).toEqual({ command: 'private-list' });
    expect(b.global).toMatchObject({ token: 'env-token', nats: 'nats://n:4222', json: false });
  });

  it('the environment gives the defaults', () => {
    const fromEnv = envDefaults({
      VAULT_API: 'http://vault.example:8080',
      VAULT_TOKEN: 'tok',
      NATS_URL: 'nats://nats.example:4222',
      NATS_CREDS: '/creds',
    });
    expect(parseCommandLine(['agents'], fromEnv, '1')).toMatchObject({
      kind: 'run',
      global: {
        api: 'http://vault.example:8080',
        token: 'tok',
        nats: 'nats://nats.example:4222',
        natsCreds: '/creds',
      },
    });
  });

  it('grant, grants, revoke, download, status, private watch', () => {
    expect(run('grant', '12', 'user-43', '--not-after', '2030-01-01T00:00:00Z').invocation).toEqual(
      {
        command: 'grant',
        sourceId: 12,
        userId: 'user-43',
        notBefore: undefined,
        notAfter: '2030-01-01T00:00:00Z',
      },
    );
    expect(run('grants', '12').invocation).toEqual({ command: 'grants', sourceId: 12 });
    expect(run('revoke', '12', 'u').invocation).toEqual({
      command: 'revoke',
      sourceId: 12,
      userId: 'u',
    });
    expect(run('download', '7', '--agent', 'lic-1', '--no-wait').invocation).toEqual({
      command: 'download',
      sourceId: 7,
      agent: 'lic-1',
      wait: false,
    });
    expect(run('status', 'private', '3').invocation).toEqual({
      command: 'status',
      kind: 'private',
      id: 3,
    });
    expect(run('private', 'watch').invocation).toEqual({
      command: 'private-watch',
      ids: [],
      follow: false,
    });
    expect(run('private', 'watch', '4', '5', '--follow').invocation).toEqual({
      command: 'private-watch',
      ids: [4, 5],
      follow: true,
    });
    expect(run('private', 'release', '6').invocation).toEqual({
      command: 'private-release',
      ids: [6],
    });
  });

  it('audit: --verify, pinned keys, a head, a saved log without a token', () => {
    const key = Buffer.alloc(32, 3).toString('base64url');
    const hash = 'a'.repeat(64);
    expect(run('audit', '7').invocation).toEqual({
      command: 'audit',
      sourceId: 7,
      verify: false,
      trustedKeys: {},
      head: undefined,
      from: undefined,
    });
    expect(
      run(
        'audit',
        '7',
        '--trust-key',
        `lic-1=${key}`,
        '--trust-key',
        `studio-1=${key}`,
        '--head',
        `3:${hash}`,
      ).invocation,
    ).toEqual({
      command: 'audit',
      sourceId: 7,
      // Keys and heads are given to be checked: they imply --verify.
      verify: true,
      trustedKeys: { 'lic-1': key, 'studio-1': key },
      head: { seq: 3, hash },
      from: undefined,
    });
    const offline = parseCommandLine(['audit', '7', '--from', 'log.json'], envDefaults({}), '1');
    expect(offline).toMatchObject({ kind: 'run', invocation: { from: 'log.json', verify: true } });
    expect(usage('audit', '7', '--trust-key', 'lic-1')).toMatch(/<agent id>=<Ed25519 public key/);
    expect(usage('audit', '7', '--head', '0:' + hash)).toMatch(/a head is <seq>:<hash>/);
    expect(usage('audit', '7', '--head', '3:abc')).toMatch(/a head is <seq>:<hash>/);
    expect(() => parseCommandLine(['audit', '7'], envDefaults({}), '1')).toThrow(/no token/);
  });

  it('help and version print and exit 0', () => {
    const help = parse('--help');
    expect(help).toMatchObject({ kind: 'exit', code: 0 });
    expect(help.kind === 'exit' && help.stdout).toMatch(/Exit codes:[\s\S]*4 +--timeout/);
    expect(parse('--version')).toMatchObject({ kind: 'exit', code: 0, stdout: '9.9.9\n' });
    expect(parse('upload', '--help')).toMatchObject({ kind: 'exit', code: 0 });
  });

  it('usage errors are exit 2 with a reason', () => {
    expect(usage()).toMatch(/Usage: vault/);
    expect(usage('private')).toMatch(/Usage: vault private/);
    expect(usage('nope')).toMatch(/unknown command 'nope'/);
    expect(usage('upload', 'f', '--root', 'r')).toMatch(/--agent <id>' not specified/);
    expect(usage('upload', 'f', '--agent', 'ab', '--root', 'r')).toMatch(/agent id must match/);
    expect(usage('upload', 'f', '--agent', 'abc', '--root', 'r', '--series', '-1')).toMatch(
      /series id must be a whole number/,
    );
    expect(usage('upload', 'f', 'g', '--agent', 'abc', '--root', 'r')).toMatch(
      /too many arguments/,
    );
    expect(usage('download', '0', '--agent', 'abc')).toMatch(/source id must be a whole number/);
    expect(usage('download', '2147483648', '--agent', 'abc')).toMatch(/from 1 to 2147483647/);
    expect(usage('grant', '1', 'bad user')).toMatch(/user id must match/);
    expect(usage('grant', '1', 'u', '--not-before', 'tomorrow')).toMatch(/ISO 8601/);
    expect(usage('status', 'uploads', '1')).toMatch(
      /Allowed choices are upload, download, private, source/,
    );
    expect(usage('agents', '--timeout', '0')).toMatch(/above 0/);
    expect(usage('agents', '--api', 'localhost:8080')).toMatch(/http\(s\) URL/);
    expect(usage('agents', '--bogus')).toMatch(/unknown option '--bogus'/);
  });

  it('a missing token is a usage error, not a call that fails later', () => {
    expect(() => parseCommandLine(['agents'], envDefaults({}), '1')).toThrow(/no token/);
  });
});
