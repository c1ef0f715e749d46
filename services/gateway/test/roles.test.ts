import { Roles } from '@media-vault/contracts';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authPlugin } from '../src/plugins/auth.js';
import { errorsPlugin } from '../src/plugins/errors.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const secret = 'roles-test-secret-0123456789';
const sign = (roles: number[]) =>
  new SignJWT({ name: 'r', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('7')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

async function appWithReviewRoute() {
  const app = Fastify();
  await app.register(errorsPlugin);
  await app.register(authPlugin, { verify: await createTokenVerifier({ secret }) });
  await app.register(async (scoped) => {
    // The shapes of the seed 002 reviewer routes: root or reviewer only, grpc-gateway errors.
    scoped.post(
      '/api/v1/assets/audio/resolve/:id',
      { onRequest: scoped.requireUser([Roles.root, Roles.reviewerAssets]) },
      async () => ({}),
    );
    scoped.get('/api/v1/tasks/x/', { onRequest: scoped.requireUser([Roles.root]) }, async () => ({
      data: {},
      message: '',
    }));
  });
  return app;
}

describe('role checks', () => {
  it('lets a listed role through and refuses others with 403 in the route style', async () => {
    const app = await appWithReviewRoute();
    const url = '/api/v1/assets/audio/resolve/1';
    const asReviewer = await app.inject({
      method: 'POST',
      url,
      headers: { token: await sign([120]) },
    });
    expect(asReviewer.statusCode).toBe(200);
    const asRoot = await app.inject({ method: 'POST', url, headers: { token: await sign([1]) } });
    expect(asRoot.statusCode).toBe(200);

    const asContributor = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${await sign([100])}` },
    });
    expect(asContributor.statusCode).toBe(403);
    expect(asContributor.json()).toEqual({
      code: 7,
      message: 'your roles do not allow this operation',
      details: [],
    });

    const anonymous = await app.inject({ method: 'POST', url });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 16, details: [] });
  });

  it('answers seed 000 routes with the envelope', async () => {
    const app = await appWithReviewRoute();
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/tasks/x/',
      headers: { token: await sign([]) },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ data: null, message: 'your roles do not allow this operation' });
  });
});
