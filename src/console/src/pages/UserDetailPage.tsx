/** A RAM user: access keys (a new secret is shown once), attached policies, deletion. */
import { useId, useState } from 'react';
import { api, seg } from '../api';
import { ConfirmDialog, DialogButtons, Modal } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { date } from '../format';
import { navigate } from '../router';
import type { RamAccessKey, RamPolicy, RamUser } from '../types';

interface Detail { user: RamUser; accessKeys: RamAccessKey[]; policies: RamPolicy[] }
interface NewKey { accessKeyId: string; accessKeySecret: string }

export function UserDetailPage({ userName }: { userName: string }) {
  const id = useId();
  const base = `/api/ram/users/${seg(userName)}`;
  const detail = useLoad(() => api<Detail>('GET', base), [userName]);
  const act = useAction();
  const [newKey, setNewKey] = useState<NewKey | null>(null);
  const [attaching, setAttaching] = useState(false);
  const [confirm, setConfirm] = useState<null | { title: string; text: string; label: string; run: () => Promise<void> }>(null);
  const d = detail.data;

  const change = (fn: () => Promise<void>): Promise<boolean> => act.run(async () => {
    await fn();
    setConfirm(null);
    detail.reload();
  });

  return (
    <section>
      <PageHeader title={<>User <code>{userName}</code></>}>
        <button
          type="button" className="danger"
          onClick={() => { act.clear(); setConfirm({ title: 'Delete user', label: 'Delete user', text: `Delete RAM user ${userName}? Its access keys stop working at once.`, run: async () => { await api('DELETE', base); navigate('/ram/users'); } }); }}
        >
          Delete user
        </button>
      </PageHeader>
      <ErrorNotice error={detail.error} title="The user could not be read" />
      <ErrorNotice error={confirm ? null : act.error} title="The change failed" />
      {detail.loading && <Loading what="the user" />}
      {d && (
        <>
          <dl className="props" aria-label="User">
            <dt>Display name</dt><dd>{d.user.displayName || '—'}</dd>
            <dt>User ID</dt><dd><code>{d.user.userId}</code></dd>
            <dt>Created</dt><dd>{date(d.user.createDate)}</dd>
            <dt>Comments</dt><dd>{d.user.comments || '—'}</dd>
          </dl>

          <section aria-labelledby={`${id}-keys`}>
            <div className="section-header">
              <h2 id={`${id}-keys`}>AccessKeys</h2>
              <button type="button" disabled={act.busy} onClick={() => void act.run(async () => {
                const r = await api<{ accessKey: NewKey }>('POST', `${base}/access-keys`);
                setNewKey(r.accessKey);
                detail.reload();
              })}
              >
                Create AccessKey
              </button>
            </div>
            {d.accessKeys.length === 0 ? <Empty>No access keys: this user cannot call the APIs or log in here.</Empty> : (
              <table className="list" aria-label="Access keys">
                <thead><tr><th scope="col">AccessKey ID</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {d.accessKeys.map((k) => (
                    <tr key={k.accessKeyId}>
                      <th scope="row"><code>{k.accessKeyId}</code></th>
                      <td>{k.status}</td>
                      <td>{date(k.createDate)}</td>
                      <td className="row-actions">
                        <button type="button" className="link" disabled={act.busy} onClick={() => void change(() => api('PUT', `${base}/access-keys/${seg(k.accessKeyId)}`, { status: k.status === 'Active' ? 'Inactive' : 'Active' }))}>
                          {k.status === 'Active' ? 'Disable' : 'Enable'}
                        </button>
                        <button type="button" className="link danger" onClick={() => { act.clear(); setConfirm({ title: 'Delete AccessKey', label: 'Delete', text: `Delete AccessKey ${k.accessKeyId}? Programs using it stop working.`, run: () => api('DELETE', `${base}/access-keys/${seg(k.accessKeyId)}`) }); }}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <section aria-labelledby={`${id}-policies`}>
            <div className="section-header">
              <h2 id={`${id}-policies`}>Policies</h2>
              <button type="button" onClick={() => { act.clear(); setAttaching(true); }}>Attach policy</button>
            </div>
            {d.policies.length === 0 ? <Empty>No policies attached: this user may do nothing yet.</Empty> : (
              <table className="list" aria-label="Attached policies">
                <thead><tr><th scope="col">Policy</th><th scope="col">Type</th><th scope="col">Attached</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {d.policies.map((p) => (
                    <tr key={`${p.policyType}:${p.policyName}`}>
                      <th scope="row">{p.policyName}</th>
                      <td>{p.policyType}</td>
                      <td>{date(p.attachDate)}</td>
                      <td className="row-actions">
                        <button type="button" className="link danger" onClick={() => { act.clear(); setConfirm({ title: 'Detach policy', label: 'Detach', text: `Detach ${p.policyName} from ${userName}?`, run: () => api('DELETE', `${base}/policies/${seg(p.policyType)}/${seg(p.policyName)}`) }); }}>
                          Detach
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
      {newKey && <NewKeyDialog k={newKey} onClose={() => setNewKey(null)} />}
      {attaching && d && (
        <AttachPolicy attached={d.policies} onClose={() => setAttaching(false)} onAttach={(p) => change(async () => {
          await api('POST', `${base}/policies`, { policyName: p.policyName, policyType: p.policyType });
          setAttaching(false);
        })} busy={act.busy} error={act.error}
        />
      )}
      {confirm && (
        <ConfirmDialog
          title={confirm.title} confirmLabel={confirm.label} busy={act.busy}
          error={<ErrorNotice error={act.error} title="The change failed" />}
          onCancel={() => setConfirm(null)} onConfirm={() => void change(confirm.run)}
        >
          <p>{confirm.text}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** The one time the secret is shown: it is not stored anywhere the console could show it again. */
function NewKeyDialog({ k, onClose }: { k: NewKey; onClose: () => void }) {
  return (
    <Modal title="AccessKey created" onClose={onClose}>
      <p className="notice warning" role="alert">Save the AccessKey Secret now: it is shown only this once.</p>
      <dl className="props">
        <dt>AccessKey ID</dt><dd><code data-field="new-key-id">{k.accessKeyId}</code></dd>
        <dt>AccessKey Secret</dt><dd><code data-field="new-key-secret">{k.accessKeySecret}</code></dd>
      </dl>
      <div className="form-actions">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(`${k.accessKeyId}\t${k.accessKeySecret}`)}>Copy both</button>
        <button type="button" className="primary" onClick={onClose} autoFocus>I have saved it</button>
      </div>
    </Modal>
  );
}

function AttachPolicy({ attached, onClose, onAttach, busy, error }: {
  attached: RamPolicy[]; onClose: () => void; onAttach: (p: RamPolicy) => void; busy: boolean; error: unknown;
}) {
  const id = useId();
  const policies = useLoad(() => api<{ policies: RamPolicy[] }>('GET', '/api/ram/policies'), []);
  const [choice, setChoice] = useState('');
  const available = (policies.data?.policies ?? []).filter((p) => !attached.some((a) => a.policyName === p.policyName && a.policyType === p.policyType));
  return (
    <Modal title="Attach policy" onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        const p = available.find((x) => `${x.policyType}:${x.policyName}` === choice);
        if (p) onAttach(p);
      }}
      >
        <ErrorNotice error={policies.error} title="The policies could not be listed" />
        {policies.loading && <Loading what="policies" />}
        <div className="field">
          <label htmlFor={`${id}-policy`}>Policy</label>
          <select id={`${id}-policy`} value={choice} onChange={(e) => setChoice(e.target.value)} required autoFocus>
            <option value="">Choose a policy…</option>
            {available.map((p) => (
              <option key={`${p.policyType}:${p.policyName}`} value={`${p.policyType}:${p.policyName}`}>{p.policyName} ({p.policyType})</option>
            ))}
          </select>
        </div>
        <ErrorNotice error={error} title="The policy was not attached" />
        <DialogButtons submit="Attach" disabled={busy || !choice} onCancel={onClose} />
      </form>
    </Modal>
  );
}
