import { readFile, writeFile } from 'node:fs/promises';

/**
 * Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in a markdown file
 * (appending the block when the markers are not there yet), so each command rewrites only its
 * own table and leaves the prose around it alone.
 */
export async function writeSection(file: string, name: string, body: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n\n${body.trim()}\n\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const next =
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}
