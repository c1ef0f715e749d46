import { Principal, VaultError } from '@media-vault/contracts';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';

export interface TokenVerifierOptions {
  readonly secret?: string | undefined;
  readonly publicKeyPem?: string | undefined;
  readonly publicKeyAlgorithm?: 'EdDSA' | 'RS256';
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Longest life a token may have, `exp` counted from `iat` and from now; default 24 h. */
  readonly maxLifetimeSeconds?: number;
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export type TokenVerifier = (token: string) => Promise<Principal>;

const principalCheck = TypeCompiler.Compile(Principal);

/**
 * Verifies a JWT and turns its claims (`sub`, `name`, `roles`) into the principal. The algorithms
 * follow the key kind: HS256 for the development secret, EdDSA/RS256 for public keys and JWKS.
 * A token must expire (`exp`), and within the maximum lifetime: a leaked token is then only good
 * for a bounded time, and no issuer can mint one that is good for years.
 */
export async function createTokenVerifier(opts: TokenVerifierOptions): Promise<TokenVerifier> {
  let key: Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;
  let algorithms: string[];
  if (opts.jwksUrl) {
    key = createRemoteJWKSet(new URL(opts.jwksUrl));
    algorithms = ['EdDSA', 'RS256'];
  } else if (opts.publicKeyPem) {
    const alg = opts.publicKeyAlgorithm ?? 'EdDSA';
    key = await importSPKI(opts.publicKeyPem, alg);
    algorithms = [alg];
  } else if (opts.secret) {
    key = new TextEncoder().encode(opts.secret);
    algorithms = ['HS256'];
  } else {
    throw new Error('no token verification key configured');
  }
  const maxLifetime = opts.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    requiredClaims: ['exp'],
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  };

  return async (token) => {
    let payload;
    try {
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions));
    } catch (err) {
      const reason =
        err instanceof joseErrors.JWTExpired
          ? 'token has expired'
          : err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp'
            ? 'token has no expiry (exp claim)'
            : err instanceof joseErrors.JOSEError
              ? 'token is invalid'
              : 'token could not be verified';
      throw new VaultError('unauthenticated', reason, { cause: err });
    }
    // jose has checked that exp is a number in the future and iat, when given, a number.
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
    if ((payload.exp as number) - issuedAt > maxLifetime) {
      throw new VaultError(
        'unauthenticated',
        `token lives longer than the ${maxLifetime}-second maximum (exp - iat)`,
      );
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.map(Number) : [];
    const principal = {
      id: payload.sub ?? '',
      name: typeof payload.name === 'string' ? payload.name : '',
      roles: roles.filter((r) => Number.isInteger(r)),
    };
    if (!principalCheck.Check(principal)) {
      throw new VaultError('unauthenticated', 'token has no valid sub claim');
    }
    return principal;
  };
}
