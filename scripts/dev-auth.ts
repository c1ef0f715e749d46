/**
 * The development platform's credentials, made once under `.data/` and reused: the NATS trust
 * chain (operator, accounts, one creds file per process) and the gateway's principal key. The
 * authenticated path is the only one: `npm run dev` never starts an anonymous NATS.
 */
import type { NatsIdentity } from '@media-vault/contracts';
import { openAuthority, SERVER_AUTH_FILE, writeCreds } from '@media-vault/nats-admin';
import { generatePrincipalKeyPair } from '@media-vault/service-kit';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const natsAuthDir = (dataDir: string): string => join(dataDir, 'nats-auth');
export const serverAuthFile = (dataDir: string): string =>
  join(natsAuthDir(dataDir), SERVER_AUTH_FILE);

/**
 * Issues the creds of an identity afresh on every start: the permissions come from the contracts
 * of the code being run, so a file kept from an older checkout would lack a newer subject.
 */
export async function issueCreds(dataDir: string, identity: NatsIdentity): Promise<string> {
  return writeCreds(natsAuthDir(dataDir), await openAuthority(natsAuthDir(dataDir)), identity);
}

export interface PrincipalKeys {
  readonly signingKey: string;
  readonly publicKey: string;
}

/** The gateway's principal key pair of this development platform. */
export async function principalKeys(dataDir: string): Promise<PrincipalKeys> {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'principal.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PrincipalKeys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = generatePrincipalKeyPair();
  await writeFile(path, JSON.stringify(keys, null, 2), { mode: 0o600 });
  await chmod(path, 0o600);
  return keys;
}

/** Makes the chain on first use and returns where the server's auth configuration is. */
export async function prepareNatsAuth(dataDir: string): Promise<string> {
  await openAuthority(natsAuthDir(dataDir));
  return serverAuthFile(dataDir);
}
