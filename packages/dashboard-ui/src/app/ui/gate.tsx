/** The sign-in form (a key, sent once: the browser keeps a session cookie) and a shared link's password form. */
import { useEffect, useState } from 'preact/hooks';
import { signIn, unlock } from '../auth';

interface Props {
  /** The form's message: why it is shown, or the last refusal. */
  message: string;
  onDone: () => void;
}

function Gate({
  id,
  title,
  note,
  label,
  submit,
  message,
  act,
  onDone,
}: Props & Record<'id' | 'title' | 'note' | 'label' | 'submit', string> & { act: (value: string) => Promise<unknown> }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(message);
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(message), [message]);
  return (
    <main class="gate" id={id}>
      <form
        id={`${id}-form`}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            await act(value);
            setValue('');
            onDone();
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>{title}</h1>
        <p>{note}</p>
        <label for={`${id}-${id === 'signin' ? 'key' : 'password'}`}>{label}</label>
        <input
          type="password"
          id={`${id}-${id === 'signin' ? 'key' : 'password'}`}
          autocomplete="current-password"
          placeholder={id === 'signin' ? 'tmk_…' : ''}
          required
          autofocus
          value={value}
          onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          {submit}
        </button>
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}

export function SignIn(props: Props) {
  return (
    <Gate
      {...props}
      id="signin"
      title="Sign in"
      note="Paste an API key (or the server’s API_TOKEN). It is sent once; the browser keeps only a session cookie."
      label="API key"
      submit="Sign in"
      act={(key) => signIn(key.trim())}
    />
  );
}

export function Unlock(props: Props) {
  return (
    <Gate
      {...props}
      id="unlock"
      title="This dashboard is protected"
      note="Enter the password you were given with the link."
      label="Password"
      submit="Open"
      act={unlock}
    />
  );
}
