import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Vite names built assets by their content hash: such a file never changes under its name. */
  readonly immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Every file of the built console, read once into memory (a few hundred kilobytes): requests are
 * answered from a map of known names, so no request path ever reaches the file system.
 */
export async function loadStaticFiles(
  root: string,
  pageMeta: Readonly<Record<string, string>> = {},
): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(root, path).split(sep).join('/');
    let body: Buffer = await readFile(path);
    if (name === 'index.html') body = withMeta(body, pageMeta);
    files.set(name, {
      body,
      type: TYPES[extname(name)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      immutable: name.startsWith('assets/'),
    });
  }
  return files;
}

const escapeAttribute = (text: string): string =>
  text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page with `<meta name=… content=…>` for the gateway's settings the page needs before any
 * call (where to sign in): no inline script, so the CSP stays `script-src 'self'`.
 */
function withMeta(page: Buffer, meta: Readonly<Record<string, string>>): Buffer {
  const tags = Object.entries(meta)
    .map(
      ([name, content]) =>
        `<meta name="${escapeAttribute(name)}" content="${escapeAttribute(content)}" />`,
    )
    .join('');
  return tags ? Buffer.from(page.toString('utf8').replace('</head>', `${tags}</head>`)) : page;
}
