/**
 * The caller's identity on a command, as a short-lived JWS the gateway signs (EdDSA) and the
 * owning service verifies with the gateway's public key before it acts (SPEC §11). The token is
 * bound to the command subject (`aud`), the request id, the exact request bytes (`bdy`, sha256)
 * and a lifetime of seconds, and carries a unique `jti` that a replica accepts once: a token lifted
 * off the bus cannot be sent to another command, with another body, later, or twice.
 */
import { Principal, PrincipalTokenIssuer, VaultError } from '@media-vault/contracts';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';

/** Lifetime of a principal token: long enough for a request to cross the bus, no more. */
export const PRINCIPAL_TOKEN_TTL_S = 30;
/** Clock skew tolerated between the gateway's and a service's clock. */
const CLOCK_TOLERANCE_S = 5;

// An Ed25519 private key in PKCS#8 DER is this fixed header followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
// And a public key in SPKI DER is this header followed by the 32-byte key.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const decode32 = (text: string, what: string): Buffer => {
  const raw = Buffer.from(text.trim(), 'base64');
  if (raw.length !== 32) throw new Error(`${what} must be 32 bytes, base64 (got ${raw.length})`);
  return raw;
};

/** Key id: the first 8 bytes of the public key's sha256, so services pick the key to try. */
const keyIdOf = (publicKey: Buffer): string =>
  createHash('sha256').update(publicKey).digest('hex').slice(0, 16);

const rawPublicKey = (key: KeyObject): Buffer =>
  Buffer.from(key.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length));

/** A new signing key, base64 seed and base64 public key, for development and tests. */
export function generatePrincipalKeyPair(): { signingKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    signingKey: Buffer.from(der.subarray(PKCS8_ED25519_PREFIX.length)).toString('base64'),
    publicKey: rawPublicKey(publicKey).toString('base64'),
  };
}

function privateKeyOf(signingKey: string): KeyObject {
  const seed = decode32(signingKey, 'the principal signing key');
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

export const bodyDigest = (body: Uint8Array): string =>
  createHash('sha256').update(body).digest('base64url');

export interface PrincipalSigner {
  sign(principal: Principal, subject: string, requestId: string, body: Uint8Array): Promise<string>;
}

export function createPrincipalSigner(signingKey: string): PrincipalSigner {
  const key = privateKeyOf(signingKey);
  const kid = keyIdOf(rawPublicKey(createPublicKey(key)));
  return {
    sign: (principal, subject, requestId, body) => {
      // One reading of the clock: reading it once for `iat` and again for `exp` now and then
      // straddles a second, and the token would live longer than the verifier allows.
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        name: principal.name,
        roles: principal.roles,
        rid: requestId,
        bdy: bodyDigest(body),
      })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setIssuer(PrincipalTokenIssuer)
        .setSubject(principal.id)
        .setAudience(subject)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + PRINCIPAL_TOKEN_TTL_S)
        .sign(key);
    },
  };
}

export interface VerifiedCaller {
  readonly principal: Principal;
  readonly requestId: string;
}

export interface PrincipalVerifier {
  verify(token: string, subject: string, body: Uint8Array): Promise<VerifiedCaller>;
}

const principalCheck = TypeCompiler.Compile(Principal);

const refuse = (reason: string, cause?: unknown): VaultError =>
  new VaultError('unauthenticated', `caller not verified: ${reason}`, { cause });

/**
 * Verifies principal tokens against the gateway's public keys (several while a key rotates).
 * Each token id is remembered for its lifetime and accepted once.
 */
export function createPrincipalVerifier(publicKeys: readonly string[]): PrincipalVerifier {
  if (publicKeys.length === 0) throw new Error('no principal verification key configured');
  const keys = new Map<string, KeyObject>(
    publicKeys.map((text) => {
      const raw = decode32(text, 'a principal public key');
      const key = createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
        format: 'der',
        type: 'spki',
      });
      return [keyIdOf(raw), key];
    }),
  );
  // Token ids until their expiry, in the order seen: tokens arrive in roughly the order they
  // expire, so pruning stops at the first live one instead of walking every id on each call.
  const seen = new Map<string, number>();
  const forgetExpired = (now: number) => {
    for (const [jti, until] of seen) {
      if (until >= now) break;
      seen.delete(jti);
    }
  };

  return {
    async verify(token, subject, body) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            const key = header.kid === undefined ? undefined : keys.get(header.kid);
            if (!key) throw refuse('signed by an unknown key');
            return key;
          },
          {
            algorithms: ['EdDSA'],
            issuer: PrincipalTokenIssuer,
            audience: subject,
            maxTokenAge: `${PRINCIPAL_TOKEN_TTL_S}s`,
            clockTolerance: CLOCK_TOLERANCE_S,
            requiredClaims: ['sub', 'jti', 'exp', 'iat', 'rid', 'bdy'],
          },
        ));
      } catch (err) {
        if (err instanceof VaultError) throw err;
        const reason =
          err instanceof joseErrors.JWTExpired
            ? 'the principal has expired'
            : err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud'
              ? 'the principal was issued for another command'
              : err instanceof joseErrors.JWSSignatureVerificationFailed
                ? 'the principal signature does not verify'
                : 'the principal is not a valid token';
        throw refuse(reason, err);
      }
      // A key holder could mint long-lived tokens; the lifetime is the verifier's rule, not theirs.
      if ((payload.exp as number) - (payload.iat as number) > PRINCIPAL_TOKEN_TTL_S) {
        throw refuse('the principal lives longer than allowed');
      }
      if (payload.bdy !== bodyDigest(body))
        throw refuse('the principal was issued for another request body');
      const principal = { id: payload.sub, name: payload.name ?? '', roles: payload.roles ?? [] };
      if (!principalCheck.Check(principal)) throw refuse('malformed principal claims');
      const now = Date.now();
      forgetExpired(now);
      const jti = payload.jti as string;
      if (seen.has(jti)) throw refuse('the principal was already used');
      seen.set(jti, ((payload.exp as number) + CLOCK_TOLERANCE_S) * 1000);
      return { principal, requestId: String(payload.rid) };
    },
  };
}
