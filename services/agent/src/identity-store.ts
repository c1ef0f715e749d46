import {
  AGENT_IDENTITY_FILE,
  exportAgentIdentity,
  generateAgentIdentity,
  loadAgentIdentity,
  type AgentIdentity,
} from '@media-vault/sealed';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';

/** The agent's secrets: its key pairs and the content-key secret of its identity file. */
export interface AgentSecrets {
  readonly identity: AgentIdentity;
  /**
   * 32 random bytes. Content keys no longer derive from it (each seal draws its own), but the
   * identity file keeps it: identity files already written and backed up hold it, and the CLI's
   * identity backup and restore check it, so an install keeps starting and restoring as it did.
   */
  readonly contentKeySecret: Buffer;
}

interface IdentityFile {
  readonly id: string;
  readonly encryptionKey: string;
  readonly signingKey: string;
  readonly contentKeySecret: string;
}

export const IDENTITY_FILE = AGENT_IDENTITY_FILE;

/** Only the agent's own user may read its secrets; a looser file is refused, not silently used. */
async function assertPrivate(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
}

/**
 * Loads the agent's identity from `dir`, creating it on first start (directory 0700, file 0600).
 * An identity made for another agent id is refused: the keys are registered under that id.
 */
export async function loadOrCreateIdentity(dir: string, id: string): Promise<AgentSecrets> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = join(dir, IDENTITY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const identity = generateAgentIdentity(id);
    const contentKeySecret = randomBytes(32);
    const file: IdentityFile = {
      ...exportAgentIdentity(identity),
      contentKeySecret: contentKeySecret.toString('base64'),
    };
    await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
    return { identity, contentKeySecret };
  }
  await assertPrivate(path);
  const file = JSON.parse(text) as IdentityFile;
  if (file.id !== id) {
    throw new Error(`${path} belongs to agent ${file.id}, not ${id}; use another AGENT_DIR`);
  }
  const contentKeySecret = Buffer.from(file.contentKeySecret, 'base64');
  if (contentKeySecret.length !== 32) throw new Error(`${path}: contentKeySecret is not 32 bytes`);
  return { identity: loadAgentIdentity(file), contentKeySecret };
}
