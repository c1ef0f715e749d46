import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The agent's vault: one key envelope per source it sealed, sealed to itself (the seed's
 * "exported private block file"). Written whole under a temporary name and renamed, so a crash
 * never leaves half an envelope under the real name.
 */
export class Vault {
  constructor(private readonly dir: string) {}

  pathOf(sourceId: number): string {
    return join(this.dir, `source-${sourceId}.mvke`);
  }

  async write(sourceId: number, envelope: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(sourceId);
    const temp = `${path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(envelope);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
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
