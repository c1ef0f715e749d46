import { createHash, timingSafeEqual } from 'node:crypto';

/** The HttpOnly cookie that carries the signed-in token of a console session. */
export const SESSION_COOKIE = 'mv_session';
/** The header a state-changing request authenticated by the cookie must carry. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The CSRF token of a session, derived from its token: another site can make the browser send
 * the cookie but can read neither the cookie nor this value, and every gateway replica derives
 * the same one without shared state.
 */
export const csrfTokenOf = (sessionToken: string): string =>
  createHash('sha256').update(`media-vault console csrf\n${sessionToken}`).digest('base64url');

export const csrfMatches = (sessionToken: string, given: string | undefined): boolean => {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};

/** Methods a browser lets any page trigger (links, media, EventSource): they change nothing. */
export const isSafeMethod = (method: string): boolean =>
  method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/** One cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The Set-Cookie value of a session; `maxAgeSeconds` 0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
