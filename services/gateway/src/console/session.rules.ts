import { createHash, timingSafeEqual } from 'node:crypto';

/** The HttpOnly cookie that carries the signed-in token of a console session. */
export const SESSION_COOKIE = 'mv_session';
/**
 * Its name when cookies are Secure (production): a `__Host-` cookie is only accepted by browsers
 * from a secure origin, with Path=/ and no Domain, so a sibling subdomain cannot plant or shadow it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export const sessionCookieName = (secure: boolean): string =>
  secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
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
export function sessionCookie(
  value: string,
  maxAgeSeconds: number,
  secure: boolean,
  name: string = SESSION_COOKIE,
): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Why a sign-in request must be refused as cross-site, or undefined when it may proceed. Signing
 * someone in is a state change too (login CSRF: another site posts its own token and the victim
 * works, unknowing, in the attacker's account), and it carries no session to hold a CSRF token
 * yet, so the browser's own word on where the request came from decides: `Sec-Fetch-Site` when it
 * is sent, else `Origin` against `Host`. A client that is not a browser sends neither and passes.
 */
export function crossSiteSignIn(headers: {
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly secFetchSite?: string | undefined;
}): string | undefined {
  const site = headers.secFetchSite;
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `sign-in must come from the console's own origin (Sec-Fetch-Site: ${site})`;
  }
  if (headers.origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(headers.origin).host;
  } catch {
    return 'sign-in sent an Origin header that is not a URL';
  }
  return host === headers.host
    ? undefined
    : `sign-in must come from the console's own origin, not ${headers.origin.slice(0, 200)}`;
}
