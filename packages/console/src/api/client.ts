import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

let csrfToken: string | undefined;

/** Set after sign-in (or after a reload, from GET /api/v1/console/session). */
export const setCsrfToken = (token: string | undefined): void => {
  csrfToken = token;
};
export const csrfHeaders = (): Record<string, string> =>
  csrfToken ? { 'x-csrf-token': csrfToken } : {};

// The session cookie authenticates every call; the gateway takes a state-changing one only with
// the session's CSRF token beside it.
const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) {
      request.headers.set('x-csrf-token', csrfToken);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: 'same-origin',
});
api.use(csrf);

/** The message of an API error body (grpc-gateway `{code, message}` or seed `{data, message}`). */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

/** Throws the API's own message when a call failed, else returns its data. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new Error(result.error ? errorMessage(result.error) : `HTTP ${result.response.status}`);
  }
  return result.data;
}
