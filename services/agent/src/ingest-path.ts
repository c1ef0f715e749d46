import { PermanentJobError } from '@media-vault/service-kit';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/**
 * The file a seal job names, resolved under the ingest root. The tasks service already refuses
 * `..` and absolute paths; this also follows links, so a symlink inside the root that points out
 * of it is refused too. Every refusal is permanent: asking again reads the same disk.
 */
export async function resolveIngestPath(root: string, path: string): Promise<string> {
  const realRoot = await realpath(root).catch(() => {
    throw new PermanentJobError(`the ingest root ${root} does not exist on this agent`);
  });
  if (isAbsolute(path)) {
    throw new PermanentJobError(`path ${path} is absolute; it must be relative to the ingest root`);
  }
  const candidate = resolve(realRoot, path);
  if (!inside(realRoot, candidate)) {
    throw new PermanentJobError(`path ${path} is outside the ingest root`);
  }
  const real = await realpath(candidate).catch(() => {
    throw new PermanentJobError(`no file ${path} under the ingest root`);
  });
  if (!inside(realRoot, real)) {
    throw new PermanentJobError(`path ${path} leads outside the ingest root`);
  }
  if (!(await stat(real)).isFile()) {
    throw new PermanentJobError(`path ${path} is not a file`);
  }
  return real;
}
