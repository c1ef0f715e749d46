import { hasRole, VaultError, type Principal, type Role } from '@media-vault/contracts';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenVerifier } from '../token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** onRequest hook: a valid token is required, and one of `roles` when given. */
    requireUser(roles?: readonly Role[]): onRequestAsyncHookHandler;
  }
}

/** Accepts the seed's `Token` header (`HTTP_TOKEN`) and `Authorization: Bearer` (or `Token`). */
export const tokenOf = (request: FastifyRequest): string | undefined => {
  const direct = request.headers.token;
  if (typeof direct === 'string' && direct.trim())
    return direct.replace(/^(Token|Bearer)\s+/i, '').trim();
  const authorization = request.headers.authorization;
  const match = authorization?.match(/^(Bearer|Token)\s+(\S+)$/i);
  return match?.[2];
};

export const principalOf = (request: FastifyRequest): Principal => {
  if (!request.principal) throw new VaultError('unauthenticated', 'sign-in required');
  return request.principal;
};

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { verify: TokenVerifier }) => {
    app.decorateRequest('principal', null);
    app.decorate('requireUser', (roles: readonly Role[] = []) => {
      const hook: onRequestAsyncHookHandler = async (request) => {
        const token = tokenOf(request);
        if (!token) {
          throw new VaultError(
            'unauthenticated',
            'missing token: send the Token header or Authorization: Bearer',
          );
        }
        request.principal = await opts.verify(token);
        request.log = request.log.child({ user: request.principal.id });
        if (roles.length > 0 && !hasRole(request.principal, ...roles)) {
          throw new VaultError('forbidden', 'your roles do not allow this operation');
        }
      };
      return hook;
    });
  },
  { name: 'auth' },
);
