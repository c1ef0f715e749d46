import { VaultError } from '@media-vault/contracts';

/**
 * An ingest path names a file under the sealing agent's ingest root; the agent resolves it there.
 * Anything that could climb out of that root is refused here, before a job is ever sent.
 */
export function assertIngestPath(path: string): void {
  if (path.startsWith('/') || path.startsWith('~') || /^[A-Za-z]:/.test(path)) {
    throw new VaultError('badRequest', "path: must be relative to the agent's ingest root");
  }
  if (path.split('/').some((segment) => segment === '..')) {
    throw new VaultError('badRequest', 'path: must not contain ".." segments');
  }
  if (path.split('/').every((segment) => segment === '' || segment === '.')) {
    throw new VaultError('badRequest', 'path: must name a file');
  }
}

/** A seal needs both the agent to ask and the file it is to seal; a hand upload names neither. */
export function assertSealRequest(body: { path?: string; agent?: string }): void {
  if ((body.path === undefined) !== (body.agent === undefined)) {
    throw new VaultError(
      'badRequest',
      'path and agent go together: send both to have your agent seal the master, or neither',
    );
  }
  if (body.path !== undefined) assertIngestPath(body.path);
}
