import { keyFingerprint, readKeyEnvelopeHeader, type AgentIdentity } from '@media-vault/sealed';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';

/**
 * The agent's vault: one key envelope per source it sealed, sealed to itself (the seed's
 * "exported private block file"), each written whole and readable by the agent's user only.
 */
export class Vault {
  constructor(private readonly dir: string) {}

  pathOf(sourceId: number): string {
    return join(this.dir, `source-${sourceId}.mvke`);
  }

  async write(sourceId: number, envelope: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(sourceId);
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

  /** The envelope, or undefined when this agent never sealed the source. */
  async read(sourceId: number): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(sourceId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
