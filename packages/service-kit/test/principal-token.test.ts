import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPrincipalSigner,
  generatePrincipalKeyPair,
  PRINCIPAL_TOKEN_TTL_S,
} from '../src/principal-token.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('principal tokens', () => {
  // Reading the clock once for `iat` and once more for `exp` gave a token one second too long
  // whenever the two readings fell either side of a second, and the verifier refused it.
  it('live exactly the allowed time even when the clock ticks over a second while signing', async () => {
    const keys = generatePrincipalKeyPair();
    const signer = createPrincipalSigner(keys.signingKey);
    const second = 1_900_000_000_000;
    vi.spyOn(Date.prototype, 'getTime')
      .mockReturnValueOnce(second - 1)
      .mockReturnValueOnce(second);
    const token = await signer.sign(
      { id: 'u1', name: 'User', roles: [100] },
      'svc.test.cmd',
      'r1',
      new Uint8Array(),
    );
    vi.restoreAllMocks();
    const { iat, exp } = decodeJwt(token);
    expect(exp! - iat!).toBe(PRINCIPAL_TOKEN_TTL_S);
  });
});
