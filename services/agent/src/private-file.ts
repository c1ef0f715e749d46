import { open, rename } from 'node:fs/promises';

/**
 * Writes a file only its owner can read (0600), whole: under a temporary name, synced, then
 * renamed, so a crash never leaves half a key or half an envelope under the real name.
 */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
