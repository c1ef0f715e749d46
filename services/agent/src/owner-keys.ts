import {
  decodeRawKey,
  encodeRawKey,
  exportOwnerKey,
  generateOwnerKey,
  OWNER_KEY_FILE,
  ownerPublicKeyOf,
} from '@media-vault/sealed';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';

export const KNOWN_OWNERS_FILE = 'known-owners.json';

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The public half of the owner key this agent obeys: only grants it signed release a key. It is
 * read from the agent's own key directory, never from the platform. On first start an owner key
 * is made there (mode 0600) for the owner's `vault grant --owner-key` to sign with; an owner who
 * keeps theirs elsewhere puts that file (or a copy) there before starting the agent.
 */
export async function loadOrCreateOwnerKey(dir: string): Promise<Uint8Array> {
  const path = join(dir, OWNER_KEY_FILE);
  const text = await readIfPresent(path);
  if (text !== undefined) {
    try {
      return ownerPublicKeyOf(text);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  }
  const key = generateOwnerKey();
  await writePrivateFile(path, exportOwnerKey(key));
  return key.publicKey;
}

/**
 * The owner keys a downloading agent has met, by sealing agent: learned from the platform the
 * first time (trust on first use, like SSH's known_hosts) and held to afterwards, so a platform
 * that later swaps in a key of its own for a sealer is refused.
 */
export class KnownOwners {
  private readonly path: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.path = join(dir, KNOWN_OWNERS_FILE);
  }

  /** The owner key to verify `sealer`'s grants with: the pinned one, or `offered`, now pinned. */
  async ownerKeyFor(sealer: string, offered: string): Promise<Uint8Array> {
    const run = this.queue.then(() => this.pin(sealer, offered));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async pin(sealer: string, offered: string): Promise<Uint8Array> {
    const text = await readIfPresent(this.path);
    const known = text === undefined ? {} : (JSON.parse(text) as Record<string, string>);
    const pinned = known[sealer];
    if (pinned !== undefined) return decodeRawKey(pinned);
    if (offered === '') throw new Error(`agent ${sealer} registered no owner key`);
    const key = decodeRawKey(offered);
    await writePrivateFile(
      this.path,
      `${JSON.stringify({ ...known, [sealer]: encodeRawKey(key) }, null, 2)}\n`,
    );
    return key;
  }
}
