import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { currentSession, hasRole, Roles, signIn, signOut, type Session } from './api/session';
import { useEventStream } from './events/live-events';
import { FilmMasters } from './pages/film-masters';
import { MyAudio } from './pages/my-audio';
import { ReviewQueue } from './pages/review-queue';

type Page = 'review' | 'audio' | 'masters';

const pageOfHash = (): Page | undefined => {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name === 'review' || name === 'audio' || name === 'masters' ? name : undefined;
};

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: currentSession, staleTime: Infinity });
  if (session.isPending) return <p>Loading…</p>;
  if (!session.data) return <SignIn />;
  return <Console session={session.data} />;
}

function SignIn() {
  const queryClient = useQueryClient();
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      queryClient.setQueryData(['session'], await signIn(token));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <main className="sign-in">
      <h1>Media vault console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">Token</label>
        <textarea
          id="token"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          rows={4}
          required
        />
        <p className="hint">
          Development: paste the output of <code>npm run token -- --user you --roles 100</code>.
        </p>
        <button type="submit">Sign in</button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Console({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const reviewer = hasRole(session, Roles.root, Roles.reviewerAssets);
  const contributor = hasRole(session, Roles.root, Roles.assets);
  const fallback: Page = reviewer ? 'review' : contributor ? 'audio' : 'masters';
  const [page, setPage] = useState<Page>(pageOfHash() ?? fallback);
  const live = useEventStream(true);
  useEffect(() => {
    const onHash = () => setPage(pageOfHash() ?? fallback);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [fallback]);

  const links: [Page, string, boolean][] = [
    ['review', 'Review queue', reviewer],
    ['audio', 'My audio', contributor],
    ['masters', 'Film masters', true],
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
        {page === 'masters' && <FilmMasters />}
      </main>
    </>
  );
}
