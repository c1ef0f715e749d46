import { api, must, setCsrfToken } from './client';

export interface Session {
  readonly user: { id: string; name: string; roles: number[] };
  readonly csrf: string;
  readonly expiresAt: string | null;
}

export const Roles = { root: 1, assets: 100, reviewerAssets: 120 } as const;

export const hasRole = (session: Session, ...roles: number[]): boolean =>
  session.user.roles.some((r) => roles.includes(r));

export async function currentSession(): Promise<Session | null> {
  const { data } = await api.GET('/api/v1/console/session');
  setCsrfToken(data?.csrf);
  return data ?? null;
}

export async function signIn(token: string): Promise<Session> {
  const session = must(await api.POST('/api/v1/console/session', { body: { token } }));
  setCsrfToken(session.csrf);
  return session;
}

export async function signOut(): Promise<void> {
  await api.DELETE('/api/v1/console/session');
  setCsrfToken(undefined);
}
