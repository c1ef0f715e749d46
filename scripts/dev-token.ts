import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from './dev-defaults.js';

/**
 * A token the development gateway accepts: HS256 with JWT_SECRET or the development secret, and
 * the issuer and audience the gateway checks (JWT_ISSUER, JWT_AUDIENCE) when they are set.
 */
export function signDevToken(opts: {
  user: string;
  name?: string | undefined;
  roles?: number[];
  ttl: string;
}): Promise<string> {
  const secret = process.env.JWT_SECRET || DEV_JWT_SECRET;
  let jwt = new SignJWT({ name: opts.name ?? `user ${opts.user}`, roles: opts.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.user)
    .setIssuedAt()
    .setExpirationTime(opts.ttl);
  if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
  return jwt.sign(new TextEncoder().encode(secret));
}
