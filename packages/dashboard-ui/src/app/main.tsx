/**
 * The dashboard page's entry: who is signed in decides what shows — the dashboard, the sign-in
 * form, or a shared link's password form (auth.ts). A key given in the URL is dropped unused.
 */
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { App } from './app';
import { canRead, dropKeyFromUrl, type Me, onSignedOut, shareSlug, whoAmI } from './auth';
import { SignIn, Unlock } from './ui/gate';

const keyInUrl = dropKeyFromUrl();

type State = { phase: 'loading' } | { phase: 'gate'; message: string } | { phase: 'board'; me: Me };

function Root() {
  const [state, setState] = useState<State>({ phase: 'loading' });
  const start = useCallback(async (first = false) => {
    try {
      const me = await whoAmI();
      if (canRead(me)) return setState({ phase: 'board', me });
      const note = first && keyInUrl ? 'Keys in links are no longer accepted: sign in instead.' : shareSlug ? (me.error ?? '') : '';
      setState({ phase: 'gate', message: note });
    } catch (err) {
      // Refused before anything was shown (a proxy user nobody added): say so where a key can be given.
      setState({ phase: 'gate', message: (err as Error).message });
    }
  }, []);
  useEffect(() => {
    void start(true);
    // A session revoked (or a link's proof expired) while the board is open: back to the form.
    return onSignedOut((message) => setState((s) => (s.phase === 'board' ? { phase: 'gate', message } : s)));
  }, [start]);
  document.body.dataset.state = state.phase === 'gate' ? (shareSlug ? 'unlock' : 'signin') : state.phase;
  if (state.phase === 'loading') return null;
  if (state.phase === 'gate') {
    const Form = shareSlug ? Unlock : SignIn;
    return <Form message={state.message} onDone={() => void start()} />;
  }
  return <App me={state.me} onSignedOut={() => setState({ phase: 'gate', message: '' })} />;
}

render(<Root />, document.getElementById('app') as HTMLElement);
