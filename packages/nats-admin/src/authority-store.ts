/**
 * The chain kept on disk: `authority.json` (the seeds, owner-only), `auth.conf` (what nats-server
 * includes) and `creds/<user>.creds`. Development and tests keep one under their data directory;
 * in production the operator keeps the seeds offline and hands out only creds files.
 */
import { natsUserName, type NatsIdentity } from '@media-vault/contracts';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createAuthority,
  issueUser,
  serverAuthConfig,
  type AuthoritySeeds,
  type IssueOptions,
  type NatsAuthority,
} from './authority.js';

const SEEDS_FILE = 'authority.json';
export const SERVER_AUTH_FILE = 'auth.conf';

/** Writes through a temp file and a rename, readable by the owner only. */
async function writePrivate(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** The chain kept in `dir`, made on first use. */
export async function openAuthority(dir: string): Promise<NatsAuthority> {
  await mkdir(join(dir, 'creds'), { recursive: true, mode: 0o700 });
  const seedsPath = join(dir, SEEDS_FILE);
  let seeds: AuthoritySeeds | undefined;
  try {
    seeds = JSON.parse(await readFile(seedsPath, 'utf8')) as AuthoritySeeds;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const authority = await createAuthority(seeds);
  if (!seeds) await saveAuthority(dir, authority);
  return authority;
}

/** Saves the seeds and the server's view of the chain (after a revocation, too). */
export async function saveAuthority(dir: string, authority: NatsAuthority): Promise<void> {
  await writePrivate(join(dir, SEEDS_FILE), JSON.stringify(authority.seeds, null, 2));
  await writePrivate(join(dir, SERVER_AUTH_FILE), serverAuthConfig(authority, join(dir, 'jwt')));
}

/** Issues an identity's credentials into `dir/creds/`; returns the file's path. */
export async function writeCreds(
  dir: string,
  authority: NatsAuthority,
  identity: NatsIdentity,
  opts: IssueOptions = {},
): Promise<string> {
  const user = await issueUser(authority, identity, opts);
  const path = join(dir, 'creds', `${natsUserName(identity)}.creds`);
  await writePrivate(path, user.creds);
  return path;
}
