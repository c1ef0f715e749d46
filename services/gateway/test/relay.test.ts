import { bind, Roles, type HttpBinding } from '@media-vault/contracts';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authPlugin } from '../src/plugins/auth.js';
import { bodyParsersPlugin } from '../src/plugins/body-parsers.js';
import { errorsPlugin } from '../src/plugins/errors.js';
import { relayPlugin } from '../src/plugins/relay.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const secret = 'relay-test-secret-0123456789';
const sign = (roles: number[] = []) =>
  new SignJWT({ name: 'r', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('7')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

// Bindings no gateway file names: declaring them is all a new route takes.
const bindings: HttpBinding[] = [
  bind({
    method: 'PATCH',
    paths: ['/x/tasks/:id/'],
    style: 'envelope',
    subject: 'svc.tasks.private.list',
    tags: ['x'],
    params: Type.Object({ id: Type.Integer() }),
    body: Type.Object({ status: Type.Integer(), percent: Type.Optional(Type.Integer()) }),
    emptyMeansAbsent: ['percent'],
    errors: [400, 401],
  }),
  bind({
    method: 'GET',
    paths: ['/x/assets', '/x/assets/again'],
    style: 'grpc',
    subject: 'svc.assets.find',
    roles: [Roles.reviewerAssets],
    tags: ['x'],
    query: Type.Object({ name: Type.Optional(Type.String()) }, { additionalProperties: false }),
    errors: [400, 401, 403],
  }),
  bind({
    method: 'POST',
    paths: ['/x/assets/:id/reject'],
    style: 'grpc',
    subject: 'svc.assets.drafts.delete',
    tags: ['x'],
    params: Type.Object({ id: Type.String() }),
    query: Type.Object({ reason: Type.Optional(Type.String()) }),
    body: Type.Object({ reason: Type.Optional(Type.String()) }, { additionalProperties: false }),
    bodyOptional: true,
    errors: [400, 401],
  }),
];

async function relayWithRecordingBus() {
  const sent: { subject: string; body: unknown }[] = [];
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
  await app.register(errorsPlugin);
  await app.register(bodyParsersPlugin, { bodyLimit: 1_048_576 });
  await app.register(authPlugin, { verify: await createTokenVerifier({ secret }) });
  app.decorate('command', async (_request: unknown, subject: string, body: unknown) => {
    sent.push({ subject, body });
    const replies: Record<string, unknown> = {
      'svc.assets.find': { items: [], total: '0' },
      'svc.tasks.private.list': [],
    };
    return replies[subject] ?? {};
  });
  await app.register(relayPlugin, { bindings });
  return { app, sent };
}

describe('relay of declared bindings', () => {
  it('sends the declared parts merged, path over body, and wraps seed 000 replies', async () => {
    const { app, sent } = await relayWithRecordingBus();
    // The path's id wins over one in the body; the undeclared query never reaches the command.
    const ok = await app.inject({
      method: 'PATCH',
      url: '/x/tasks/5/?ignored=1',
      headers: { token: await sign(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'status=4&percent=&id=9',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ data: [], message: '' });
    expect(sent).toEqual([{ subject: 'svc.tasks.private.list', body: { status: 4, id: 5 } }]);
  });

  it('mounts every path, drops unknown query fields and answers seed 002 replies bare', async () => {
    const { app, sent } = await relayWithRecordingBus();
    const token = await sign([Roles.reviewerAssets]);
    for (const url of ['/x/assets?name=a&_=123', '/x/assets/again?name=a&_=123']) {
      const res = await app.inject({ method: 'GET', url, headers: { token } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [], total: '0' });
    }
    expect(sent).toEqual([
      { subject: 'svc.assets.find', body: { name: 'a' } },
      { subject: 'svc.assets.find', body: { name: 'a' } },
    ]);
  });

  it('checks the declared roles and answers in the binding style', async () => {
    const { app, sent } = await relayWithRecordingBus();
    const res = await app.inject({
      method: 'GET',
      url: '/x/assets',
      headers: { token: await sign([Roles.assets]) },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      code: 7,
      message: 'your roles do not allow this operation',
      details: [],
    });
    expect(sent).toEqual([]);
  });

  it('takes a body-less request, the field from the query, the body over the query', async () => {
    const { app, sent } = await relayWithRecordingBus();
    const token = await sign();
    const bare = await app.inject({
      method: 'POST',
      url: '/x/assets/3/reject?reason=q',
      headers: { token },
    });
    expect(bare.statusCode).toBe(200);
    const both = await app.inject({
      method: 'POST',
      url: '/x/assets/3/reject?reason=q',
      headers: { token },
      payload: { reason: 'b' },
    });
    expect(both.statusCode).toBe(200);
    expect(sent).toEqual([
      { subject: 'svc.assets.drafts.delete', body: { reason: 'q', id: '3' } },
      { subject: 'svc.assets.drafts.delete', body: { reason: 'b', id: '3' } },
    ]);
  });
});
