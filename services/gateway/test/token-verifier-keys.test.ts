import { VaultError } from '@media-vault/contracts';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/token-verifier.js';

type SigningKey = Parameters<SignJWT['sign']>[0];

const sign = (key: SigningKey, alg: string, kid?: string) =>
  new SignJWT({ name: 'Ada', roles: [100] })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject('ada')
    .setIssuer('https://id.example')
    .setExpirationTime('5m')
    .sign(key);

describe('production token keys', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('verifies EdDSA tokens with a PEM public key and refuses other keys', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const other = await generateKeyPair('EdDSA');
    const verify = await createTokenVerifier({
      publicKeyPem: await exportSPKI(publicKey),
      publicKeyAlgorithm: 'EdDSA',
      issuer: 'https://id.example',
    });
    expect(await verify(await sign(privateKey, 'EdDSA'))).toEqual({
      id: 'ada',
      name: 'Ada',
      roles: [100],
    });
    await expect(verify(await sign(other.privateKey, 'EdDSA'))).rejects.toBeInstanceOf(VaultError);
  });

  it('refuses an HS256 token when a public key is configured (no algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const verify = await createTokenVerifier({ publicKeyPem: pem });
    const forged = await new SignJWT({ roles: [1] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .sign(new TextEncoder().encode(pem));
    await expect(verify(forged)).rejects.toThrow(/token is invalid/);
  });

  it('verifies RS256 tokens against a JWKS endpoint', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const verify = await createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    expect((await verify(await sign(privateKey, 'RS256', 'k1'))).id).toBe('ada');
  });

  it('checks the issuer when one is configured', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const verify = await createTokenVerifier({
      publicKeyPem: await exportSPKI(publicKey),
      issuer: 'https://other.example',
    });
    await expect(verify(await sign(privateKey, 'EdDSA'))).rejects.toThrow(/token is invalid/);
  });
});
