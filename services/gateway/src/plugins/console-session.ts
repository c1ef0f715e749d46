import { UserDetail, VaultError } from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { decodeJwt } from 'jose';
import { createHash } from 'node:crypto';
import {
  CSRF_HEADER,
  cookieValue,
  crossSiteSignIn,
  csrfMatches,
  csrfTokenOf,
  isSafeMethod,
  sessionCookie,
  sessionCookieName,
} from '../console/session.rules.js';
import { tokenOf } from './auth.js';
import type { TokenVerifier } from '../token-verifier.js';

const SESSION_PATH = '/api/v1/console/session';
const Session = Type.Object({
  user: UserDetail,
  csrf: Type.String({
    description: `send it as the ${CSRF_HEADER} header on state-changing calls`,
  }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
// Paths outside /api/v1/assets answer errors in the seed 000 envelope.
const ErrorReply = Type.Object({ data: Type.Null(), message: Type.String() });

/**
 * Tokens whose console session was signed out, until they expire. The cookie holds the token
 * itself, so clearing it in the browser is not enough: a copy taken before (another tab's
 * request log, a stolen cookie) would still work until `exp`. Kept per gateway replica, in
 * memory, by the token's SHA-256; bounded, dropping the ones closest to expiry first when full.
 */
export class SignedOutSessions {
  private readonly until = new Map<string, number>();
  constructor(private readonly capacity = 100_000) {}

  private static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  add(token: string, expiresAtMs: number): void {
    const now = Date.now();
    for (const [key, at] of this.until) if (at <= now) this.until.delete(key);
    if (this.until.size >= this.capacity) {
      const soonest = [...this.until].sort((a, b) => a[1] - b[1]).slice(0, this.capacity / 10);
      for (const [key] of soonest) this.until.delete(key);
    }
    this.until.set(SignedOutSessions.key(token), expiresAtMs);
  }

  /** Signing in again with the token makes it a session again: its holder may use it anyway. */
  remove(token: string): void {
    this.until.delete(SignedOutSessions.key(token));
  }

  has(token: string): boolean {
    const at = this.until.get(SignedOutSessions.key(token));
    return at !== undefined && at > Date.now();
  }
}

export interface ConsoleSessionOptions {
  /**
   * Production: the cookie is `Secure` and named `__Host-mv_session` whatever the request's
   * scheme (TLS usually ends at a proxy in front of the gateway); development: `mv_session`,
   * Secure only over https.
   */
  readonly secureCookies: boolean;
  readonly signedOut: SignedOutSessions;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request is authenticated by the console's session cookie. */
    consoleSession: boolean;
  }
}

const secureFor = (opts: ConsoleSessionOptions, request: FastifyRequest) =>
  opts.secureCookies || request.protocol === 'https';

/**
 * Console sessions: a browser trades a token for an HttpOnly, SameSite=Strict cookie holding it.
 * A request with no Token or Authorization header is authenticated by that cookie, but a
 * state-changing one only with the session's CSRF token in a header, so the auth plugin (and the
 * Token header's behaviour) stays as it is: the cookie is turned into the header it already reads.
 */
const cookieAuth: FastifyPluginAsyncTypebox<ConsoleSessionOptions> = async (app, opts) => {
  app.decorateRequest('consoleSession', false);
  app.addHook('onRequest', async (request) => {
    // Signing in again over a stale cookie needs no CSRF token: the body carries the credential.
    if (tokenOf(request)) return;
    if (request.method === 'POST' && request.url.split('?')[0] === SESSION_PATH) return;
    const session = cookieValue(request.headers.cookie, sessionCookieName(opts.secureCookies));
    // A signed-out session is no session: the request goes on as anonymous (401 where it counts).
    if (!session || opts.signedOut.has(session)) return;
    const csrf = request.headers[CSRF_HEADER];
    if (
      isSafeMethod(request.method) ||
      csrfMatches(session, typeof csrf === 'string' ? csrf : undefined)
    ) {
      request.headers.authorization = `Bearer ${session}`;
      request.consoleSession = true;
    } else if (request.url.startsWith('/api/')) {
      throw new VaultError('forbidden', `a cookie session must send its ${CSRF_HEADER} header`);
    }
  });
  // A cookie that no longer verifies (expired, signed by a retired key) is cleared, so the browser
  // stops sending it and the page shows the sign-in form.
  app.addHook('onSend', async (request, reply) => {
    if (request.consoleSession && reply.statusCode === 401 && !reply.hasHeader('set-cookie')) {
      reply.header(
        'set-cookie',
        sessionCookie('', 0, secureFor(opts, request), sessionCookieName(opts.secureCookies)),
      );
    }
  });
};

// Not encapsulated: the cookie hook must run before the route hooks of every other plugin.
export const consoleSessionPlugin = fp(cookieAuth, { name: 'console-session' });

/** Sign-in, the session (and its CSRF token) after a reload, sign-out. */
export const consoleSessionRoutes: FastifyPluginAsyncTypebox<
  ConsoleSessionOptions & { verify: TokenVerifier }
> = async (app, opts) => {
  const cookieName = sessionCookieName(opts.secureCookies);
  const tags = ['console'];
  const describe = async (token: string) => {
    const principal = await opts.verify(token);
    const exp = decodeJwt(token).exp;
    return {
      user: { id: principal.id, name: principal.name, roles: principal.roles },
      csrf: csrfTokenOf(token),
      expiresAt: exp ? new Date(exp * 1000).toISOString() : null,
      exp,
    };
  };

  app.post(
    SESSION_PATH,
    {
      // A bearer token in the header needs no body; fastify would validate the missing one.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: 'Sign in to the console: trade a token for a session cookie',
        description:
          'The token comes in the body, or as `Authorization: Bearer` (or the `Token` header) with ' +
          'no body: a token from the issuer the gateway trusts (JWT_PUBLIC_KEY or JWKS_URL, with ' +
          'JWT_ISSUER and JWT_AUDIENCE in production). The cookie lives as long as the token. A ' +
          "browser's request from another origin is refused (403), so no other site can sign " +
          'a visitor in to its own account.',
        security: [],
        body: Type.Object(
          { token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Session,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          413: ErrorReply,
          415: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const crossSite = crossSiteSignIn({
        origin: header('origin'),
        host: header('host'),
        secFetchSite: header('sec-fetch-site'),
      });
      if (crossSite) throw new VaultError('forbidden', crossSite);
      const given =
        request.body.token?.trim().replace(/^(Bearer|Token)\s+/i, '') || tokenOf(request);
      if (!given) {
        throw new VaultError(
          'badRequest',
          'token: send it in the body ({"token": …}) or as Authorization: Bearer',
        );
      }
      const { exp, ...session } = await describe(given);
      opts.signedOut.remove(given);
      const maxAge = exp ? exp - Math.floor(Date.now() / 1000) : 3600;
      reply.header(
        'set-cookie',
        sessionCookie(given, maxAge, secureFor(opts, request), cookieName),
      );
      return session;
    },
  );

  app.get(
    SESSION_PATH,
    {
      schema: {
        tags,
        summary: 'The signed-in session (after a page reload the page asks for its CSRF token)',
        security: [],
        response: { 200: Session, 401: ErrorReply },
      },
    },
    async (request) => {
      const token = cookieValue(request.headers.cookie, cookieName);
      if (!token) throw new VaultError('unauthenticated', 'no console session');
      if (opts.signedOut.has(token)) {
        throw new VaultError('unauthenticated', 'this console session was signed out');
      }
      request.consoleSession = true;
      const { exp: _exp, ...session } = await describe(token);
      return session;
    },
  );

  app.delete(
    SESSION_PATH,
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary:
          'Sign out: clears the session cookie and refuses its token as a console session from ' +
          'then on (a cookie session sends its CSRF token)',
        response: { 200: Type.Object({}), 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      if (request.consoleSession) {
        // The token is valid here (requireUser verified it), so it has an exp.
        const token = cookieValue(request.headers.cookie, cookieName)!;
        opts.signedOut.add(token, (decodeJwt(token).exp ?? 0) * 1000);
      }
      reply.header(
        'set-cookie',
        sessionCookie('', 0, secureFor(opts, request), sessionCookieName(opts.secureCookies)),
      );
      return {};
    },
  );
};
