import { UserDetail, VaultError } from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { decodeJwt } from 'jose';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  cookieValue,
  csrfMatches,
  csrfTokenOf,
  isSafeMethod,
  sessionCookie,
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
 * Console sessions: a browser trades a token for an HttpOnly, SameSite=Strict cookie holding it.
 * A request with no Token or Authorization header is authenticated by that cookie, but a
 * state-changing one only with the session's CSRF token in a header, so the auth plugin (and the
 * Token header's behaviour) stays as it is: the cookie is turned into the header it already reads.
 */
const cookieAuth: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', async (request) => {
    // Signing in again over a stale cookie needs no CSRF token: the body carries the credential.
    if (tokenOf(request)) return;
    if (request.method === 'POST' && request.url.split('?')[0] === SESSION_PATH) return;
    const session = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!session) return;
    const csrf = request.headers[CSRF_HEADER];
    if (
      isSafeMethod(request.method) ||
      csrfMatches(session, typeof csrf === 'string' ? csrf : undefined)
    ) {
      request.headers.authorization = `Bearer ${session}`;
    } else if (request.url.startsWith('/api/')) {
      throw new VaultError('forbidden', `a cookie session must send its ${CSRF_HEADER} header`);
    }
  });
};

// Not encapsulated: the cookie hook must run before the route hooks of every other plugin.
export const consoleSessionPlugin = fp(cookieAuth, { name: 'console-session' });

/** Sign-in, the session (and its CSRF token) after a reload, sign-out. */
export const consoleSessionRoutes: FastifyPluginAsyncTypebox<{ verify: TokenVerifier }> = async (
  app,
  opts,
) => {
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
      schema: {
        tags,
        summary: 'Sign in to the console: trade a token for a session cookie',
        security: [],
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 8192 }) },
          {
            additionalProperties: false,
          },
        ),
        response: {
          200: Session,
          400: ErrorReply,
          401: ErrorReply,
          413: ErrorReply,
          415: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const token = request.body.token.trim().replace(/^(Bearer|Token)\s+/i, '');
      const { exp, ...session } = await describe(token);
      const maxAge = exp ? exp - Math.floor(Date.now() / 1000) : 3600;
      reply.header('set-cookie', sessionCookie(token, maxAge, request.protocol === 'https'));
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
      const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
      if (!token) throw new VaultError('unauthenticated', 'no console session');
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
        summary: 'Sign out: clears the session cookie (a cookie session sends its CSRF token)',
        response: { 200: Type.Object({}), 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      reply.header('set-cookie', sessionCookie('', 0, request.protocol === 'https'));
      return {};
    },
  );
};
