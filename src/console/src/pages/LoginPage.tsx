/** Log in with an access key pair (the account root's or a RAM user's). */
import { useId, useState } from 'react';
import { api, type SessionInfo } from '../api';
import { ErrorNotice, useAction } from '../components/ui';

export function LoginPage({ expired, onLogin }: { expired: boolean; onLogin: (s: SessionInfo) => void }) {
  const [accessKeyId, setId] = useState('');
  const [accessKeySecret, setSecret] = useState('');
  const login = useAction();
  const id = useId();
  return (
    <main className="login">
      <form
        className="login-card"
        aria-labelledby={`${id}-title`}
        onSubmit={(e) => {
          e.preventDefault();
          void login.run(async () => {
            const s = await api<SessionInfo>('POST', '/api/session', { accessKeyId: accessKeyId.trim(), accessKeySecret });
            setSecret('');
            onLogin(s);
          });
        }}
      >
        <h1 id={`${id}-title`}>Coffer console</h1>
        <p className="hint">Log in with an AccessKey pair: the account root&apos;s, or a RAM user&apos;s. Every action runs as that identity.</p>
        {expired && <p className="notice info" role="status">Your session has ended. Log in again.</p>}
        <div className="field">
          <label htmlFor={`${id}-id`}>AccessKey ID</label>
          <input id={`${id}-id`} name="accessKeyId" value={accessKeyId} onChange={(e) => setId(e.target.value)} autoComplete="username" required autoFocus />
        </div>
        <div className="field">
          <label htmlFor={`${id}-secret`}>AccessKey Secret</label>
          <input
            id={`${id}-secret`} name="accessKeySecret" type="password" value={accessKeySecret}
            onChange={(e) => setSecret(e.target.value)} autoComplete="current-password" required
          />
        </div>
        <ErrorNotice error={login.error} title="Login failed" />
        <button type="submit" className="primary" disabled={login.busy}>{login.busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
