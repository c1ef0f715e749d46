import { mkdir, readFile } from 'node:fs/promises';
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
