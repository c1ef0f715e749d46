import { Roles } from '@media-vault/contracts';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../src/plugins/auth.js';
import {
  consoleSessionPlugin,
  consoleSessionRoutes,
  SignedOutSessions,
} from '../src/plugins/console-session.js';
import { CONSOLE_CSP, consoleStaticPlugin } from '../src/plugins/console-static.js';
import { errorsPlugin } from '../src/plugins/errors.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const secret = 'console-test-secret-0123456789';
const sign = (roles: number[], expiresIn: string | number = '5m') =>
  new SignJWT({ name: 'c', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('carol')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

let dir: string;

async function consoleApp(
  settings: { secureCookies?: boolean; signInUrl?: string; secret?: string } = {},
) {
  const app = Fastify();
  const verify = await createTokenVerifier({ secret: settings.secret ?? secret });
  const session = {
    secureCookies: settings.secureCookies ?? false,
    signedOut: new SignedOutSessions(),
  };
  await app.register(errorsPlugin);
  await app.register(consoleSessionPlugin, session);
  await app.register(authPlugin, { verify });
  await app.register(consoleSessionRoutes, { ...session, verify });
  await app.register(consoleStaticPlugin, { dir, signInUrl: settings.signInUrl });
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
  await writeFile(join(dir, 'index.html'), '<!doctype html><head><title>c</title></head>');
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

describe('console sign-in attacks', () => {
  const signInWith = (
    app: Awaited<ReturnType<typeof consoleApp>>,
    token: string,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/console/session',
      headers: { host: 'console.example:8080', ...headers },
      payload: { token },
    });
  const cookieOf = (res: { headers: Record<string, unknown> }) =>
    String(res.headers['set-cookie']).split(';')[0]!;

  it('refuses a sign-in another site makes the browser send (login CSRF), sets no cookie', async () => {
    const app = await consoleApp();
    const token = await sign([100]);
    const attempts: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'http://console.example:8080.evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'http://console.example:8080' },
    ];
    for (const headers of attempts) {
      const res = await signInWith(app, token, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json<{ message: string }>().message).toMatch(/console's own origin|not a URL/);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const same = await signInWith(app, token, {
      origin: 'https://console.example:8080',
      'sec-fetch-site': 'same-origin',
    });
    expect(same.statusCode).toBe(200);
    // Not a browser: no Origin, no Sec-Fetch-Site.
    expect((await signInWith(app, token)).statusCode).toBe(200);
  });

  it('trades an Authorization bearer token for the cookie; no token at all is a 400', async () => {
    const app = await consoleApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/console/session',
      headers: { authorization: `Bearer ${await sign([100])}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/^mv_session=ey/);
    const none = await app.inject({
      method: 'POST',
      url: '/api/v1/console/session',
      payload: {},
    });
    expect(none.statusCode).toBe(400);
    expect(none.json<{ message: string }>().message).toMatch(/^token: /);
  });

  it('production: a Secure __Host- cookie, whatever the scheme; the plain name is ignored', async () => {
    const app = await consoleApp({ secureCookies: true });
    const token = await sign([100]);
    const res = await signInWith(app, token);
    expect(String(res.headers['set-cookie'])).toMatch(
      /^__Host-mv_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=(29\d|300); Secure$/,
    );
    const read = await app.inject({
      method: 'GET',
      url: '/api/v1/probe',
      headers: { cookie: cookieOf(res) },
    });
    expect(read.json()).toEqual({ who: 'carol' });
    // A cookie without the prefix may have been planted by a sibling subdomain over plain http.
    const planted = await app.inject({
      method: 'GET',
      url: '/api/v1/probe',
      headers: { cookie: `mv_session=${token}` },
    });
    expect(planted.statusCode).toBe(401);
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/console/session',
      headers: { cookie: cookieOf(res), 'x-csrf-token': res.json<{ csrf: string }>().csrf },
    });
    expect(String(out.headers['set-cookie'])).toMatch(/^__Host-mv_session=; .*Max-Age=0; Secure$/);
  });

  it('a session ends with its token: the cookie lives as long, then 401 and the cookie cleared', async () => {
    const app = await consoleApp();
    const res = await signInWith(app, await sign([100], Math.floor(Date.now() / 1000) + 2));
    expect(String(res.headers['set-cookie'])).toMatch(/Max-Age=[12]$/);
    const cookie = cookieOf(res);
    const before = await app.inject({ method: 'GET', url: '/api/v1/probe', headers: { cookie } });
    expect(before.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const after = await app.inject({ method: 'GET', url: '/api/v1/probe', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json<{ message: string }>().message).toBe('token has expired');
    expect(String(after.headers['set-cookie'])).toMatch(/^mv_session=; .*Max-Age=0$/);
    const session = await app.inject({
      method: 'GET',
      url: '/api/v1/console/session',
      headers: { cookie },
    });
    expect(session.statusCode).toBe(401);
    expect(String(session.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('sign-out ends the session on the server: a copy of the cookie no longer works', async () => {
    const app = await consoleApp();
    const token = await sign([100]);
    const res = await signInWith(app, token);
    const cookie = cookieOf(res);
    const { csrf } = res.json<{ csrf: string }>();
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/console/session',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(200);
    for (const [method, url, headers] of [
      ['GET', '/api/v1/probe', {}],
      ['POST', '/api/v1/probe', { 'x-csrf-token': csrf }],
      ['GET', '/api/v1/console/session', {}],
    ] as const) {
      const replay = await app.inject({ method, url, headers: { cookie, ...headers } });
      expect(replay.statusCode, `${method} ${url}`).toBe(401);
    }
    // The token itself is the issuer's, not the console's: a client sending it as a header
    // is not a console session, and signing in with it again starts a new one.
    const direct = await app.inject({ method: 'GET', url: '/api/v1/probe', headers: { token } });
    expect(direct.statusCode).toBe(200);
    const again = await signInWith(app, token);
    const back = await app.inject({
      method: 'GET',
      url: '/api/v1/probe',
      headers: { cookie: cookieOf(again) },
    });
    expect(back.statusCode).toBe(200);
  });

  it('tells the page where to sign in, in a meta tag (the CSP allows no inline script)', async () => {
    const app = await consoleApp({ signInUrl: 'https://id.example/login?app="vault"&x=<y>' });
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.body).toContain(
      '<meta name="media-vault-sign-in-url" content="https://id.example/login?app=&#34;vault&#34;&#38;x=&#60;y&#62;" /></head>',
    );
    const plain = await (await consoleApp()).inject({ method: 'GET', url: '/console/' });
    expect(plain.body).not.toContain('media-vault-sign-in-url');
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
