import { Roles } from '@media-vault/contracts';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../src/plugins/auth.js';
import { consoleSessionPlugin, consoleSessionRoutes } from '../src/plugins/console-session.js';
import { CONSOLE_CSP, consoleStaticPlugin } from '../src/plugins/console-static.js';
import { errorsPlugin } from '../src/plugins/errors.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const secret = 'console-test-secret-0123456789';
const sign = (roles: number[]) =>
  new SignJWT({ name: 'c', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('carol')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

let dir: string;

async function consoleApp() {
  const app = Fastify();
  const verify = await createTokenVerifier({ secret });
  await app.register(errorsPlugin);
  await app.register(consoleSessionPlugin);
  await app.register(authPlugin, { verify });
  await app.register(consoleSessionRoutes, { verify });
  await app.register(consoleStaticPlugin, { dir });
  await app.register(async (scoped) => {
    const me = { onRequest: scoped.requireUser([Roles.assets]) };
    scoped.get('/api/v1/probe', me, async (request) => ({ who: request.principal?.id }));
    scoped.post('/api/v1/probe', me, async (request) => ({ who: request.principal?.id }));
  });
  return app;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-static-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>c</title>');
  await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('console session (cookie + CSRF)', () => {
  it('signs in to an HttpOnly SameSite cookie; state changes need the CSRF header', async () => {
    const app = await consoleApp();
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/console/session',
      payload: { token: await sign([100]) },
    });
    expect(signIn.statusCode).toBe(200);
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^mv_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    const cookie = setCookie.split(';')[0]!;
    const { csrf, user } = signIn.json<{ csrf: string; user: { id: string } }>();
    expect(user.id).toBe('carol');

    const read = await app.inject({ method: 'GET', url: '/api/v1/probe', headers: { cookie } });
    expect(read.json()).toEqual({ who: 'carol' });

    const forged = await app.inject({ method: 'POST', url: '/api/v1/probe', headers: { cookie } });
    expect(forged.statusCode).toBe(403);
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { cookie, 'x-csrf-token': `${csrf.slice(1)}x` },
    });
    expect(wrong.statusCode).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(ok.json()).toEqual({ who: 'carol' });

    const again = await app.inject({
      method: 'GET',
      url: '/api/v1/console/session',
      headers: { cookie },
    });
    expect(again.json<{ csrf: string }>().csrf).toBe(csrf);

    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/console/session',
      headers: { cookie },
    });
    expect(out.statusCode).toBe(403);
    const outOk = await app.inject({
      method: 'DELETE',
      url: '/api/v1/console/session',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(String(outOk.headers['set-cookie'])).toContain('mv_session=; ');
  });

  it('leaves the Token header as it was: no CSRF header, and it wins over a cookie', async () => {
    const app = await consoleApp();
    const token = await sign([100]);
    const res = await app.inject({ method: 'POST', url: '/api/v1/probe', headers: { token } });
    expect(res.json()).toEqual({ who: 'carol' });
    const withCookie = await app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { token, cookie: 'mv_session=garbage' },
    });
    expect(withCookie.statusCode).toBe(200);
    const none = await app.inject({ method: 'GET', url: '/api/v1/probe' });
    expect(none.statusCode).toBe(401);
  });

  it('refuses a bad token at sign-in and a session cookie that does not verify', async () => {
    const app = await consoleApp();
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/console/session',
      payload: { token: 'not-a-jwt' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/probe',
      headers: { cookie: 'mv_session=not-a-jwt' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('console static files', () => {
  it('serves the page revalidated and hashed assets for good, with the CSP', async () => {
    const app = await consoleApp();
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    const script = await app.inject({ method: 'GET', url: '/console/assets/index-abc123.js' });
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const cached = await app.inject({
      method: 'GET',
      url: '/console/',
      headers: { 'if-none-match': String(page.headers.etag) },
    });
    expect(cached.statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/console' })).headers.location).toBe(
      '/console/',
    );
    expect((await app.inject({ method: 'GET', url: '/console/review' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/console/missing.js' })).statusCode).toBe(404);
    const traversal = await app.inject({ method: 'GET', url: '/console/..%2f..%2fpackage.json' });
    expect(traversal.statusCode).toBe(404);
  });
});
