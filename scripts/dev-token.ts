import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from './dev-defaults.js';

/** A token the development gateway accepts: HS256 with JWT_SECRET or the development secret. */
export function signDevToken(opts: {
  user: string;
  name?: string | undefined;
  roles?: number[];
  ttl: string;
}): Promise<string> {
  const secret = process.env.JWT_SECRET || DEV_JWT_SECRET;
  return new SignJWT({ name: opts.name ?? `user ${opts.user}`, roles: opts.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.user)
    .setIssuedAt()
    .setExpirationTime(opts.ttl)
    .sign(new TextEncoder().encode(secret));
}
