import {
  AGENT_IDENTITY_FILE,
  keyFingerprint,
  loadAgentIdentity,
  openWithPassphrase,
  PassphraseBoxError,
  sealWithPassphrase,
} from '@media-vault/sealed';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import type { CommandContext, CommandHandler } from './context.js';

interface IdentityFile {
  readonly id: string;
  readonly encryptionKey: string;
  readonly signingKey: string;
  readonly contentKeySecret: string;
}

/** Checks that `text` is an agent identity the agent will load, and returns it parsed. */
function identityOf(text: string, where: string): IdentityFile {
  try {
    const file = JSON.parse(text) as IdentityFile;
    loadAgentIdentity(file);
    if (Buffer.from(file.contentKeySecret, 'base64').length !== 32) throw new Error('secret');
    return file;
  } catch {
    throw usageError(`${where} does not hold an agent identity`);
  }
}

/** The passphrase: a file, VAULT_PASSPHRASE, or asked for on the terminal without echo. */
async function passphraseOf(ctx: CommandContext, file: string | undefined, twice: boolean) {
  if (file !== undefined) return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (ctx.global.passphrase !== undefined) return ctx.global.passphrase;
  if (!process.stdin.isTTY) {
    throw usageError(
      'no passphrase: pass --passphrase-file, set VAULT_PASSPHRASE, or use a terminal',
    );
  }
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const ask = async (prompt: string) => {
    process.stderr.write(prompt);
    const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
    try {
      return await rl.question('');
    } finally {
      rl.close();
      process.stderr.write('\n');
    }
  };
  const first = await ask('passphrase: ');
  if (twice && (await ask('again: ')) !== first) throw usageError('the passphrases differ');
  return first;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

/** Which keys these are, in the form people compare by eye: a short hex fingerprint of each. */
const fingerprintLine = (file: IdentityFile) => {
  const identity = loadAgentIdentity(file);
  const short = (raw: Uint8Array) => keyFingerprint(raw).subarray(0, 8).toString('hex');
  return (
    `agent ${file.id}: encryption key ${short(identity.publicKey)}, ` +
    `signing key ${short(identity.signingPublicKey)}`
  );
};

/** `vault agent backup <agent-dir>`: the agent's keys, sealed with a passphrase, in one file. */
export const agentBackup: CommandHandler<'agent-backup'> = async (ctx, inv) => {
  const source = join(inv.agentDir, AGENT_IDENTITY_FILE);
  const text = await readFile(source, 'utf8').catch(() => {
    throw usageError(`no ${AGENT_IDENTITY_FILE} in ${inv.agentDir}: is it the agent's AGENT_DIR?`);
  });
  const identity = identityOf(text, source);
  const passphrase = await passphraseOf(ctx, inv.passphraseFile, true);
  let box;
  // The keys stay in `text` (a string cannot be wiped); the buffer copy of them can.
  const keys = Buffer.from(text);
  try {
    box = sealWithPassphrase(keys, passphrase);
  } catch (err) {
    if (err instanceof RangeError) throw usageError(err.message);
    throw err;
  } finally {
    keys.fill(0);
  }
  const out = resolve(inv.out ?? `${identity.id}.agent-backup.json`);
  await writePrivate(out, `${JSON.stringify(box, null, 2)}\n`);
  if (ctx.global.json) ctx.printJson({ agent: identity.id, file: out });
  else {
    ctx.print(`${fingerprintLine(identity)}\nbacked up to ${out}`);
    ctx.note('keep the backup and its passphrase apart; either alone opens nothing');
  }
  return ExitCode.ok;
};

/** `vault agent restore <file> <agent-dir>`: the keys back, as the agent will load them. */
export const agentRestore: CommandHandler<'agent-restore'> = async (ctx, inv) => {
  const boxText = await readFile(inv.file, 'utf8').catch(() => {
    throw usageError(`cannot read ${inv.file}`);
  });
  let box: unknown;
  try {
    box = JSON.parse(boxText);
  } catch {
    throw usageError(`${inv.file} is not a backup vault agent backup wrote`);
  }
  const passphrase = await passphraseOf(ctx, inv.passphraseFile, false);
  let text;
  try {
    const keys = openWithPassphrase(box, passphrase);
    text = keys.toString('utf8');
    keys.fill(0);
  } catch (err) {
    if (err instanceof PassphraseBoxError)
      throw new CliError('usage', `${inv.file}: ${err.message}`);
    throw err;
  }
  const identity = identityOf(text, inv.file);
  const target = join(inv.agentDir, AGENT_IDENTITY_FILE);
  const present = await readFile(target, 'utf8').catch(() => undefined);
  if (present !== undefined && present !== text && !inv.force) {
    throw usageError(
      `${target} holds other keys; the masters sealed to them would be lost (--force replaces them)`,
    );
  }
  await mkdir(inv.agentDir, { recursive: true, mode: 0o700 });
  await chmod(inv.agentDir, 0o700);
  if (present !== text) await writePrivate(target, text);
  if (ctx.global.json) ctx.printJson({ agent: identity.id, file: target });
  else ctx.print(`${fingerprintLine(identity)}\nrestored to ${target}`);
  return ExitCode.ok;
};
