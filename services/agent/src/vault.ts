import { keyFingerprint, readKeyEnvelopeHeader, type AgentIdentity } from '@media-vault/sealed';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';

/** File-name safe: letters, digits, `_` and `-` (uuids and CIDs are). */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

const fileNameOf = (uuid: string): string =>
  SAFE_NAME.test(uuid) ? uuid : createHash('sha256').update(uuid).digest('hex');

/**
 * The agent's vault: one key envelope per source it sealed, sealed to itself (the seed's
 * "exported private block file"), each written whole and readable by the agent's user only.
 */
export class Vault {
  constructor(private readonly dir: string) {}

  /**
   * A copy is named by what identifies the master everywhere, its uuid and public block CID,
   * never by a platform's row id: a second platform, or a database started afresh, hands out the
   * same ids again and would overwrite the only copy of a key.
   */
  pathOf(uuid: string, publicBlockCid: string): string {
    const name = fileNameOf(uuid);
    if (!SAFE_NAME.test(publicBlockCid)) throw new Error(`"${publicBlockCid}" is not a CID`);
    return join(this.dir, `${name}.${publicBlockCid}.mvke`);
  }

  async write(uuid: string, publicBlockCid: string, envelope: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(uuid, publicBlockCid);
    await writePrivateFile(path, envelope);
    return path;
  }

  /**
   * Refuses an identity that cannot open the copies already here: an agent whose keys were lost
   * or replaced would otherwise start, register the new keys and make every master it sealed
   * unreleasable without a word. The remedy is to restore the agent's identity file.
   */
  async assertSealedTo(identity: Pick<AgentIdentity, 'publicKey'>): Promise<void> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const mine = keyFingerprint(identity.publicKey);
    const foreign: string[] = [];
    for (const name of names.filter((n) => n.endsWith('.mvke')).sort()) {
      let sealedTo: Buffer | undefined;
      try {
        sealedTo = readKeyEnvelopeHeader(
          await readFile(join(this.dir, name)),
        ).recipientKeyFingerprint;
      } catch {
        sealedTo = undefined;
      }
      if (!sealedTo?.equals(mine)) foreign.push(name);
    }
    if (foreign.length > 0) {
      throw new Error(
        `${foreign.length} vault cop${foreign.length === 1 ? 'y' : 'ies'} in ${this.dir} ` +
          `(${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}) ` +
          `cannot be opened with this agent's key ${mine.toString('hex').slice(0, 16)}: restore ` +
          "the agent's identity.json (its keys were replaced or lost) rather than start without them",
      );
    }
  }

  /**
   * The public block CIDs of every copy written for `uuid`, sorted; none when this agent never
   * finished sealing it. A seal writes its copy before it pins, so a redelivered seal asks here
   * whether an earlier attempt got that far. Half-written copies (temporary names) are not listed.
   */
  async cidsOf(uuid: string): Promise<string[]> {
    const prefix = `${fileNameOf(uuid)}.`;
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    return names
      .filter((name) => name.startsWith(prefix) && name.endsWith('.mvke'))
      .map((name) => name.slice(prefix.length, -'.mvke'.length))
      .filter((cid) => SAFE_NAME.test(cid))
      .sort();
  }

  /** The envelope, or undefined when this agent never sealed the source. */
  async read(uuid: string, publicBlockCid: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(uuid, publicBlockCid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
