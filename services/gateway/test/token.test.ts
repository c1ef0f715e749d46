import type { FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { tokenOf } from '../src/plugins/auth.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const request = (headers: Record<string, string | undefined>) =>
  ({ headers }) as unknown as FastifyRequest;

describe('tokenOf', () => {
  it.each([
    ['a bare Token header', { token: 'abc.def.ghi' }, 'abc.def.ghi'],
    ['a Token header with the Token scheme', { token: 'Token abc.def.ghi' }, 'abc.def.ghi'],
    ['a Token header with the Bearer scheme', { token: 'bearer   abc.def.ghi ' }, 'abc.def.ghi'],
    ['Authorization: Bearer', { authorization: 'Bearer abc.def.ghi' }, 'abc.def.ghi'],
    ['Authorization: Token', { authorization: 'Token abc.def.ghi' }, 'abc.def.ghi'],
    ['a lower-case scheme', { authorization: 'bearer abc.def.ghi' }, 'abc.def.ghi'],
    [
      'the Token header before Authorization',
      { token: 'from-token', authorization: 'Bearer from-auth' },
      'from-token',
    ],
    [
      'Authorization when the Token header is blank',
      { token: '  ', authorization: 'Bearer from-auth' },
      'from-auth',
    ],
  ])('reads %s', (_label, headers, expected) => {
    expect(tokenOf(request(headers))).toBe(expected);
  });

  it.each([
    ['no headers', {}],
    ['another scheme', { authorization: 'Basic YWxpY2U6cGFzcw==' }],
    ['a scheme without a token', { authorization: 'Bearer' }],
    ['a bare Authorization value', { authorization: 'abc.def.ghi' }],
    ['two words after the scheme', { authorization: 'Bearer abc def' }],
    ['an empty Token header', { token: '' }],
  ])('finds nothing in %s', (_label, headers) => {
    expect(tokenOf(request(headers))).toBeUndefined();
  });
});

describe('createTokenVerifier', () => {
  const secret = 'token-test-secret-0123456789';
  const hs256 = (claims: Record<string, unknown>, sub = 'u1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));

  it('turns sub, name and roles into the principal, keeping only integer roles', async () => {
    const verify = await createTokenVerifier({ secret });
    expect(await verify(await hs256({ name: 'Ann', roles: [1, '100', 'x', 2.5] }))).toEqual({
      id: 'u1',
      name: 'Ann',
      roles: [1, 100],
    });
    expect(await verify(await hs256({ name: 7, roles: 'root' }))).toEqual({
      id: 'u1',
      name: '',
      roles: [],
    });
  });

  it('refuses tokens as unauthenticated with a reason', async () => {
    const verify = await createTokenVerifier({ secret });
    await expect(verify('nonsense')).rejects.toMatchObject({
      kind: 'unauthenticated',
      message: 'token is invalid',
    });
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(secret));
    await expect(verify(expired)).rejects.toMatchObject({ message: 'token has expired' });
    await expect(verify(await hs256({}, 'x'.repeat(65)))).rejects.toMatchObject({
      message: 'token has no valid sub claim',
    });
  });

  it('refuses a token without exp, and one that lives longer than the maximum', async () => {
    const verify = await createTokenVerifier({ secret, maxLifetimeSeconds: 3600 });
    const key = new TextEncoder().encode(secret);
    const sign = (build: (jwt: SignJWT) => SignJWT) =>
      build(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1')).sign(key);
    await expect(verify(await sign((jwt) => jwt.setIssuedAt()))).rejects.toMatchObject({
      kind: 'unauthenticated',
      message: 'token has no expiry (exp claim)',
    });
    const tooLong = 'token lives longer than the 3600-second maximum (exp - iat)';
    await expect(
      verify(await sign((jwt) => jwt.setIssuedAt().setExpirationTime('2h'))),
    ).rejects.toMatchObject({ message: tooLong });
    // Without iat the life counts from now; an iat in the future does not shorten it.
    await expect(verify(await sign((jwt) => jwt.setExpirationTime('2h')))).rejects.toMatchObject({
      message: tooLong,
    });
    const now = Math.floor(Date.now() / 1000);
    await expect(
      verify(await sign((jwt) => jwt.setIssuedAt(now + 3000).setExpirationTime(now + 5000))),
    ).rejects.toMatchObject({ message: tooLong });
    // Issued long ago with a long life: refused even though little of it is left.
    await expect(
      verify(await sign((jwt) => jwt.setIssuedAt(now - 7000).setExpirationTime(now + 60))),
    ).rejects.toMatchObject({ message: tooLong });
    expect((await verify(await sign((jwt) => jwt.setIssuedAt().setExpirationTime('59m')))).id).toBe(
      'u1',
    );
  });

  it('checks issuer and audience when configured', async () => {
    const verify = await createTokenVerifier({ secret, issuer: 'vault', audience: 'api' });
    const good = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuer('vault')
      .setAudience('api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect((await verify(good)).id).toBe('u1');
    await expect(verify(await hs256({}))).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it('needs some key', async () => {
    await expect(createTokenVerifier({})).rejects.toThrow('no token verification key');
  });
});
