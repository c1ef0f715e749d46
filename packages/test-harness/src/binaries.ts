import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where `.ci/run` and the README's set-up put the Go-built servers (nats-server, ipfs). */
export const toolCacheBin = (): string =>
  process.env.MEDIA_VAULT_BIN ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'media-vault', 'bin');

/** Debian keeps the Postgres server binaries off PATH, under a versioned directory. */
const extraDirs = (): string[] => {
  const dirs = [toolCacheBin()];
  for (const v of ['18', '17', '16', '15']) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  return dirs;
};

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Finds a binary on PATH, then in the tool cache and well-known install dirs; undefined if absent. */
export function findBinary(name: string): string | undefined {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...pathDirs, ...extraDirs()]) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Like findBinary, but fails with a message that says how to install the missing binary. */
export function requireBinary(name: string, installHint: string): string {
  const found = findBinary(name);
  if (!found) {
    throw new Error(`${name} was not found on PATH or in ${toolCacheBin()}. ${installHint}`);
  }
  return found;
}

export const installHints = {
  'nats-server':
    'Install it with: GOBIN=~/.cache/media-vault/bin go install github.com/nats-io/nats-server/v2@v2.15.2',
  ipfs: 'Install Kubo with: bash scripts/install-tools.sh (builds github.com/ipfs/kubo v0.43.0 with go)',
  weed: 'Install SeaweedFS with: bash scripts/install-tools.sh (builds github.com/seaweedfs/seaweedfs/weed with go)',
  postgres: 'Install it with: apt-get install -y postgresql',
  ffmpeg: 'Install it with: apt-get install -y ffmpeg',
} as const;
