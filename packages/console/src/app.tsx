import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { currentSession, hasRole, Roles, signIn, signOut, type Session } from './api/session';
import { tokenOfPaste } from './pasted-token';
import { useEventStream } from './events/live-events';
import { AuditLog } from './pages/audit-log';
import { FilmMasters } from './pages/film-masters';
import { MyAudio } from './pages/my-audio';
import { ReviewQueue } from './pages/review-queue';

type Page = 'review' | 'audio' | 'masters' | 'audit';

const pageOfHash = (): Page | undefined => {
  const name = window.location.hash.replace(/^#\/?/, '').split('/')[0];
  return name === 'review' || name === 'audio' || name === 'masters' || name === 'audit'
    ? name
    : undefined;
};

/** `#/audit/12`: the source whose audit log is open. */
const auditSourceOfHash = (): number | undefined => {
  const id = Number(window.location.hash.match(/^#\/?audit\/(\d+)$/)?.[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
};

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: currentSession, staleTime: Infinity });
  if (session.isPending) return <p>Loading…</p>;
  if (!session.data) return <SignIn />;
  return <Console session={session.data} />;
}

const STATE_KEY = 'media-vault-sign-in-state';

/** The token issuer's sign-in page, when the gateway has one (CONSOLE_SIGN_IN_URL). */
const signInUrl = (): string | undefined =>
  document.querySelector<HTMLMetaElement>('meta[name="media-vault-sign-in-url"]')?.content ||
  undefined;

/** Sends the browser to the issuer with a fresh `state` it must hand back with the token. */
function goToIssuer(url: string): void {
  const state = crypto.randomUUID();
  sessionStorage.setItem(STATE_KEY, state);
  const target = new URL(url);
  target.searchParams.set('state', state);
  window.location.assign(target.toString());
}

/**
 * A token the issuer sent back in the fragment (`#token=…&state=…`; a fragment never reaches a
 * server or its logs). It is taken off the address at once, and used only when its `state` is the
 * one this tab sent: a link someone else made cannot sign the visitor in to their account.
 */
function tokenFromIssuer(): { token?: string; error?: string } {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (!token) return {};
  history.replaceState(null, '', window.location.pathname + window.location.search);
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(STATE_KEY);
  if (!expected || fragment.get('state') !== expected) {
    return { error: 'The sign-in response was not started from this page: sign in again.' };
  }
  return { token };
}

function SignIn() {
  const queryClient = useQueryClient();
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const issuer = signInUrl();
  const trade = useCallback(
    async (credential: string) => {
      try {
        queryClient.setQueryData(['session'], await signIn(credential));
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      }
    },
    [queryClient],
  );
  useEffect(() => {
    const back = tokenFromIssuer();
    if (back.error) setError(back.error);
    else if (back.token) void trade(back.token);
  }, [trade]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void trade(tokenOfPaste(token));
  };
  return (
    <main className="sign-in">
      <h1>Media vault console</h1>
      {issuer && (
        <p>
          <button type="button" onClick={() => goToIssuer(issuer)}>
            Sign in with your organisation
          </button>
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="token">{issuer ? 'Or paste a token' : 'Token'}</label>
        <textarea
          id="token"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          rows={4}
          required
        />
        <p className="hint">
          Development: paste the token that <code>npm run -s token -- --user 7 --roles 100</code>{' '}
          prints (roles: <code>100</code> contributor, <code>120</code> reviewer, none for film
          masters).
        </p>
        <button type="submit">Sign in</button>
      </form>
      {error && <p role="alert">{error}</p>}
    </main>
  );
}

function Console({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const reviewer = hasRole(session, Roles.root, Roles.reviewerAssets);
  const contributor = hasRole(session, Roles.root, Roles.assets);
  const fallback: Page = reviewer ? 'review' : contributor ? 'audio' : 'masters';
  const [page, setPage] = useState<Page>(pageOfHash() ?? fallback);
  const [auditSource, setAuditSource] = useState(auditSourceOfHash());
  const live = useEventStream(true);
  useEffect(() => {
    const onHash = () => {
      setPage(pageOfHash() ?? fallback);
      setAuditSource(auditSourceOfHash());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [fallback]);

  const links: [Page, string, boolean][] = [
    ['review', 'Review queue', reviewer],
    ['audio', 'My audio', contributor],
    ['masters', 'Film masters', true],
    ['audit', 'Audit log', true],
  ];
  return (
    <>
      <header>
        <h1>Media vault</h1>
        <nav aria-label="Pages">
          {links
            .filter(([, , shown]) => shown)
            .map(([id, label]) => (
              <a key={id} href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
                {label}
              </a>
            ))}
        </nav>
        <span className={`live live-${live}`} data-live={live}>
          {live === 'live' ? 'live' : 'reconnecting…'}
        </span>
        <span className="user">{session.user.name || session.user.id}</span>
        <button
          type="button"
          onClick={() => void signOut().then(() => queryClient.setQueryData(['session'], null))}
        >
          Sign out
        </button>
      </header>
      <main>
        {page === 'review' && reviewer && <ReviewQueue />}
        {page === 'audio' && contributor && <MyAudio session={session} />}
        {page === 'masters' && <FilmMasters session={session} />}
        {page === 'audit' && <AuditLog key={auditSource ?? 0} sourceId={auditSource} />}
      </main>
    </>
  );
}
