import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_FILE, loadOrCreateIdentity } from '../src/identity-store.js';

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('loadOrCreateIdentity, on a real directory', () => {
  let tmp: TempDir;
  let count = 0;
  /** A directory of its own for each test, not yet created. */
  const agentDir = () => join(tmp.path, `agent-${++count}`, 'keys');

  beforeAll(async () => {
    tmp = await makeTempDir('identity-store');
  });

  afterAll(async () => {
    await tmp?.remove();
  });

  it('creates the directory 0700 and identity.json 0600 on first start', async () => {
    const dir = agentDir();
    const secrets = await loadOrCreateIdentity(dir, 'agent-one');

    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, IDENTITY_FILE))).toBe(0o600);
    expect(await readdir(dir)).toEqual([IDENTITY_FILE]);
    expect(secrets.identity.id).toBe('agent-one');
    expect(secrets.identity.publicKey).toHaveLength(32);
    expect(secrets.identity.signingPublicKey).toHaveLength(32);

    const file = JSON.parse(await readFile(join(dir, IDENTITY_FILE), 'utf8')) as Record<
      string,
      string
    >;
    expect(Object.keys(file).sort()).toEqual(
      ['contentKeySecret', 'encryptionKey', 'id', 'signingKey'].sort(),
    );
    expect(file.id).toBe('agent-one');
    expect(file.encryptionKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(file.signingKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('tightens a directory that already exists to 0700', async () => {
    const dir = agentDir();
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await loadOrCreateIdentity(dir, 'agent-one');
    expect(await modeOf(dir)).toBe(0o700);
  });

  it('has a content-key secret of 32 bytes, the same in memory and on disk', async () => {
    const dir = agentDir();
    const { contentKeySecret } = await loadOrCreateIdentity(dir, 'agent-one');
    expect(contentKeySecret).toHaveLength(32);
    const file = JSON.parse(await readFile(join(dir, IDENTITY_FILE), 'utf8')) as {
      contentKeySecret: string;
    };
    expect(Buffer.from(file.contentKeySecret, 'base64')).toEqual(contentKeySecret);
  });

  it('loads the same keys on the next start, without rewriting the file', async () => {
    const dir = agentDir();
    const first = await loadOrCreateIdentity(dir, 'agent-one');
    const written = await readFile(join(dir, IDENTITY_FILE), 'utf8');
    const second = await loadOrCreateIdentity(dir, 'agent-one');

    expect(second.identity.id).toBe('agent-one');
    expect(Buffer.from(second.identity.publicKey)).toEqual(Buffer.from(first.identity.publicKey));
    expect(Buffer.from(second.identity.signingPublicKey)).toEqual(
      Buffer.from(first.identity.signingPublicKey),
    );
    expect(second.contentKeySecret).toEqual(first.contentKeySecret);
    expect(await readFile(join(dir, IDENTITY_FILE), 'utf8')).toBe(written);

    // Keys are drawn per directory: another agent's differ.
    const other = await loadOrCreateIdentity(agentDir(), 'agent-one');
    expect(Buffer.from(other.identity.publicKey)).not.toEqual(
      Buffer.from(first.identity.publicKey),
    );
    expect(other.contentKeySecret).not.toEqual(first.contentKeySecret);
  });

  it('refuses an identity made for another agent id', async () => {
    const dir = agentDir();
    await loadOrCreateIdentity(dir, 'agent-one');
    await expect(loadOrCreateIdentity(dir, 'agent-two')).rejects.toThrow(
      `${join(dir, IDENTITY_FILE)} belongs to agent agent-one, not agent-two; use another AGENT_DIR`,
    );
  });

  it.each([0o640, 0o604, 0o644, 0o660])(
    'refuses a file others can read (mode %o), telling to chmod 600',
    async (mode) => {
      const dir = agentDir();
      await loadOrCreateIdentity(dir, 'agent-one');
      const path = join(dir, IDENTITY_FILE);
      await chmod(path, mode);
      await expect(loadOrCreateIdentity(dir, 'agent-one')).rejects.toThrow(
        `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
      );

      await chmod(path, 0o600);
      await expect(loadOrCreateIdentity(dir, 'agent-one')).resolves.toBeDefined();
    },
  );

  it('refuses a file whose content-key secret is not 32 bytes', async () => {
    const dir = agentDir();
    await loadOrCreateIdentity(dir, 'agent-one');
    const path = join(dir, IDENTITY_FILE);
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    await writeFile(
      path,
      JSON.stringify({ ...file, contentKeySecret: Buffer.alloc(16).toString('base64') }),
    );
    await expect(loadOrCreateIdentity(dir, 'agent-one')).rejects.toThrow(
      `${path}: contentKeySecret is not 32 bytes`,
    );
  });
});
