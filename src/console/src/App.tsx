/** The session (restored on reload, lost on expiry), the frame with navigation, and the page for the path. */
import { useEffect, useState, type ReactNode } from 'react';
import { adoptSession, api, onSessionLost, type SessionInfo } from './api';
import { ErrorNotice, useAction } from './components/ui';
import { BucketPage } from './pages/BucketPage';
import { BucketsPage } from './pages/BucketsPage';
import { DashboardPage } from './pages/DashboardPage';
import { KeyDetailPage } from './pages/KeyDetailPage';
import { KeysPage } from './pages/KeysPage';
import { LoginPage } from './pages/LoginPage';
import { PoliciesPage } from './pages/PoliciesPage';
import { PolicyEditorPage } from './pages/PolicyEditorPage';
import { PosturePage } from './pages/PosturePage';
import { ServerPage } from './pages/ServerPage';
import { UserDetailPage } from './pages/UserDetailPage';
import { UsersPage } from './pages/UsersPage';
import { sampler } from './lib/samples';
import { Link, match, navigate, useLocation, type Location } from './router';

function page(loc: Location, session: SessionInfo): ReactNode {
  const { path } = loc;
  let p: Record<string, string> | null;
  if (path === '/' || path === '/buckets' || path === '/login') return <BucketsPage />;
  if ((p = match('/buckets/:bucket', path))) return <BucketPage bucket={p.bucket} view="objects" loc={loc} />;
  if ((p = match('/buckets/:bucket/object', path))) return <BucketPage bucket={p.bucket} view="object" loc={loc} />;
  if ((p = match('/buckets/:bucket/encryption', path))) return <BucketPage bucket={p.bucket} view="encryption" loc={loc} />;
  if ((p = match('/buckets/:bucket/policy', path))) return <BucketPage bucket={p.bucket} view="policy" loc={loc} />;
  if (path === '/kms') return <KeysPage />;
  if ((p = match('/kms/keys/:keyId', path))) return <KeyDetailPage keyId={p.keyId} root={session.identity.kind === 'root'} />;
  if (path === '/ram/users') return <UsersPage />;
  if ((p = match('/ram/users/:userName', path))) return <UserDetailPage userName={p.userName} />;
  if (path === '/ram/policies') return <PoliciesPage />;
  if (path === '/ram/policies/new') return <PolicyEditorPage />;
  if ((p = match('/ram/policies/:policyType/:policyName', path))) return <PolicyEditorPage policyType={p.policyType} policyName={p.policyName} />;
  if (path === '/dashboard') return <DashboardPage region={session.region} root={session.identity.kind === 'root'} />;
  if (path === '/posture') return <PosturePage />;
  if (path === '/server') return <ServerPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>Nothing is at {path}. <Link to="/buckets">Go to Buckets</Link>.</p>
    </section>
  );
}

function NavLink({ to, current, children }: { to: string; current: string; children: ReactNode }) {
  const active = current === to || current.startsWith(`${to}/`) || (to === '/buckets' && current === '/');
  return <Link to={to} aria-current={active ? 'page' : undefined}>{children}</Link>;
}

export function App() {
  const loc = useLocation();
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [checked, setChecked] = useState(false);
  const [expired, setExpired] = useState(false);
  const logout = useAction();

  const adopt = (s: SessionInfo | null): void => {
    adoptSession(s);
    setSession(s);
  };

  useEffect(() => {
    onSessionLost(() => {
      adopt(null);
      setExpired(true);
    });
    // No session (401) or no backend: the login page says so when the user tries.
    api<SessionInfo>('GET', '/api/session').then(adopt, () => undefined).finally(() => setChecked(true));
  }, []);

  // While someone is logged in, the page samples /metrics for the Metrics page's last-hour charts.
  useEffect(() => {
    if (!session) return undefined;
    sampler.start();
    return () => sampler.stop();
  }, [session]);

  if (!checked) return <p className="loading" role="status">Loading…</p>;
  if (!session) {
    return (
      <LoginPage
        expired={expired}
        onLogin={(s) => {
          setExpired(false);
          adopt(s);
          if (loc.path === '/login') navigate('/buckets', true);
        }}
      />
    );
  }
  const root = session.identity.kind === 'root';
  return (
    <div className="frame">
      <header className="topbar">
        <Link to="/buckets" className="brand">Coffer</Link>
        <nav aria-label="Main">
          <NavLink to="/buckets" current={loc.path}>Buckets</NavLink>
          <NavLink to="/kms" current={loc.path}>KMS</NavLink>
          {root && <NavLink to="/ram/users" current={loc.path}>Users</NavLink>}
          {root && <NavLink to="/ram/policies" current={loc.path}>Policies</NavLink>}
          <NavLink to="/dashboard" current={loc.path}>Metrics</NavLink>
          {root && <NavLink to="/posture" current={loc.path}>Encryption posture</NavLink>}
          {root && <NavLink to="/server" current={loc.path}>Server</NavLink>}
        </nav>
        <div className="who">
          <span className="identity" title={`Account ${session.identity.accountId}`}>
            {root ? 'Account root' : `RAM user ${session.identity.userName}`} · <code>{session.identity.accessKeyId}</code>
          </span>
          <button
            type="button" disabled={logout.busy}
            onClick={() => logout.run(async () => {
              await api('DELETE', '/api/session');
              adopt(null);
              navigate('/login', true);
            })}
          >
            Log out
          </button>
        </div>
      </header>
      <ErrorNotice error={logout.error} title="Logging out failed" />
      <main className="content">{page(loc, session)}</main>
    </div>
  );
}
