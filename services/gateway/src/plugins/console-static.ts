import { VaultError } from '@media-vault/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadStaticFiles, type StaticFile } from '../console/static-files.js';

/**
 * Where `npm run build -w @media-vault/console` writes the console, seen from this source file;
 * in the image the gateway's bundle (dist/main.js) has it beside itself in dist/console.
 */
const CONSOLE_DIRS = [
  resolve(import.meta.dirname, '../../../../packages/console/dist'),
  resolve(import.meta.dirname, 'console'),
];

/**
 * Scripts, styles and media only from the gateway itself; the page cannot be framed, and API
 * calls, the event stream and audio go to the same origin. `blob:` lets a reviewer play a file
 * the page has fetched.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The console's built files at /console/: hashed assets cached for good, the page revalidated. */
export async function consoleStaticPlugin(
  app: FastifyInstance,
  opts: { dir?: string | undefined; signInUrl?: string | undefined },
): Promise<void> {
  const pageMeta: Record<string, string> = opts.signInUrl
    ? { 'media-vault-sign-in-url': opts.signInUrl }
    : {};
  const dirs = opts.dir ? [opts.dir] : CONSOLE_DIRS;
  let dir = dirs[0]!;
  let files: Map<string, StaticFile> | undefined;
  let builtAt = 0;
  const filesNow = async (page: boolean) => {
    // Read on first use and again when the page was rebuilt (asked only for the page, which is
    // revalidated, not for every asset), so a console built after the gateway started is served.
    if (page || !files) {
      let at = 0;
      for (const candidate of dirs) {
        at = await stat(join(candidate, 'index.html')).then(
          (s) => s.mtimeMs,
          () => 0,
        );
        if (at) {
          dir = candidate;
          break;
        }
      }
      if (at !== builtAt) {
        files = at ? await loadStaticFiles(dir, pageMeta).catch(() => undefined) : undefined;
        builtAt = at;
      }
    }
    if (!files?.has('index.html')) {
      throw new VaultError(
        'unavailable',
        'the console is not built: run npm run build -w @media-vault/console',
      );
    }
    return files;
  };

  const send = async (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const all = await filesNow(!name.startsWith('assets/'));
    // Unknown paths without an extension are the page's own (client-side) routes.
    const file = all.get(name) ?? (/\.[a-z0-9]+$/i.test(name) ? undefined : all.get('index.html'));
    if (!file) throw new VaultError('notFound', 'no such console file');
    reply
      .header('content-type', file.type)
      .header('etag', file.etag)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };

  const hidden = { schema: { hide: true } };
  app.get('/console', hidden, (request, reply) =>
    // Relative asset URLs need the trailing slash; ignoreTrailingSlash would serve both.
    request.url === '/console'
      ? reply.redirect('/console/', 301)
      : send(request, reply, 'index.html'),
  );
  app.get<{ Params: { '*': string } }>('/console/*', hidden, (request, reply) =>
    send(request, reply, request.params['*'] || 'index.html'),
  );
}
