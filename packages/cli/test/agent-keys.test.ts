import { exportAgentIdentity, generateAgentIdentity } from '@media-vault/sealed';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envDefaults } from '../src/config.js';
import { runCli } from '../src/run.js';

const passphrase = 'a long and memorable passphrase';

async function vault(argv: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli({
    argv,
    env: envDefaults({ VAULT_PASSPHRASE: passphrase, ...env }),
    terminal: { stdout, stderr },
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** An agent's key directory as the agent writes it on first start. */
async function agentDir(root: string, id: string): Promise<{ dir: string; text: string }> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify(
    {
      ...exportAgentIdentity(generateAgentIdentity(id)),
      contentKeySecret: randomBytes(32).toString('base64'),
    },
    null,
    2,
  )}\n`;
  await writeFile(join(dir, 'identity.json'), text, { mode: 0o600 });
  return { dir, text };
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('vault agent backup and restore', () => {
  let tmp: TempDir;
  let studio: { dir: string; text: string };
  let backup: string;

  beforeAll(async () => {
    tmp = await makeTempDir('agent-keys');
    studio = await agentDir(tmp.path, 'studio-1');
    backup = join(tmp.path, 'studio-1.backup.json');
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('seals the keys into a file only its owner may read, with no key in clear, no token needed', async () => {
    const run = await vault(['agent', 'backup', studio.dir, '--out', backup]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^agent studio-1: encryption key [0-9a-f]{16}, signing key [0-9a-f]{16}/,
    );
    expect(await modeOf(backup)).toBe(0o600);
    const sealed = await readFile(backup, 'utf8');
    const identity = JSON.parse(studio.text) as Record<string, string>;
    for (const secret of [identity.encryptionKey!, identity.contentKeySecret!]) {
      expect(sealed).not.toContain(secret.split('\n')[1] ?? secret);
    }
  });

  it('restores the same bytes into an empty directory, owner-only', async () => {
    const target = join(tmp.path, 'new-machine', 'studio-1');
    const run = await vault(['agent', 'restore', backup, target]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(join(target, 'identity.json'), 'utf8')).toBe(studio.text);
    expect(await modeOf(join(target, 'identity.json'))).toBe(0o600);
    expect(await modeOf(target)).toBe(0o700);
  });

  it('refuses another passphrase, writing nothing', async () => {
    const target = join(tmp.path, 'wrong-pass');
    const run = await vault(['agent', 'restore', backup, target], {
      VAULT_PASSPHRASE: 'not the passphrase at all',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/wrong passphrase, or the box was altered/);
    await expect(stat(target)).rejects.toThrow();
  });

  it('refuses an altered backup', async () => {
    const box = JSON.parse(await readFile(backup, 'utf8')) as { sealed: string };
    const bytes = Buffer.from(box.sealed, 'base64');
    bytes[10] = bytes[10]! ^ 1;
    const altered = join(tmp.path, 'altered.json');
    await writeFile(altered, JSON.stringify({ ...box, sealed: bytes.toString('base64') }));
    const run = await vault(['agent', 'restore', altered, join(tmp.path, 'altered-target')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/altered/);
  });

  it('does not replace other keys unless told to, since what was sealed to them would be lost', async () => {
    const other = await agentDir(tmp.path, 'other-keys');
    const refused = await vault(['agent', 'restore', backup, other.dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds other keys/);
    expect(await readFile(join(other.dir, 'identity.json'), 'utf8')).toBe(other.text);

    const forced = await vault(['agent', 'restore', backup, other.dir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(join(other.dir, 'identity.json'), 'utf8')).toBe(studio.text);
  });

  it('refuses a short passphrase and a directory without keys', async () => {
    const short = await vault(['agent', 'backup', studio.dir, '--out', join(tmp.path, 's.json')], {
      VAULT_PASSPHRASE: 'short',
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const empty = await vault(['agent', 'backup', join(tmp.path, 'nothing-here')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no identity.json in/);
  });
});
