/**
 * One key: metadata, state changes, rotation policy, versions, aliases, and material import for
 * External keys. Disabling a key and scheduling its deletion are confirmed first, saying how many
 * objects would become unreadable (the encryption posture: account root only; others are told the
 * count is not available to them).
 */
import { useId, useState, type ReactNode } from 'react';
import { api, ApiError, seg } from '../api';
import { ConfirmDialog, DialogButtons, Modal } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad, type Loaded } from '../components/ui';
import { bytes, date } from '../format';
import { kmsKeyUse, plural } from '../lib/posture';
import type { EncryptionPostureView, KeyMetadata, KeyVersion, PostureCountsView } from '../types';
import { ImportMaterialPanel } from './ImportMaterialPanel';

interface Detail { key: KeyMetadata; aliases: string[]; versions: KeyVersion[] }

/** What depends on the key, from the encryption posture (root only: null for anyone else, who may not read it). */
function useDependents(keyId: string, root: boolean): Loaded<PostureCountsView | null> {
  return useLoad(async () => (root
    ? kmsKeyUse((await api<{ posture: EncryptionPostureView }>('GET', '/api/admin/encryption-posture')).posture, keyId)
    : null), [keyId, root]);
}

/** "This will make N objects unreadable", or why the number is not known. */
function Consequence({ dependents, until }: { dependents: Loaded<PostureCountsView | null>; until: string }) {
  const d = dependents.data;
  if (d) {
    if (d.objects === 0 && d.multipartUploads === 0) {
      return <p className="notice info" data-field="key-dependents">No stored object is encrypted under this key.</p>;
    }
    return (
      <p className="notice warning" data-field="key-dependents">
        <strong>This will make {plural(d.objects, 'object')} unreadable</strong> ({bytes(d.bytes)}){until}
        {d.multipartUploads > 0 ? <>, and {plural(d.multipartUploads, 'unfinished multipart upload')} impossible to continue</> : null}.
      </p>
    );
  }
  if (dependents.loading) return <p className="hint" data-field="key-dependents">Counting the objects encrypted under this key…</p>;
  const refused = !dependents.error || (dependents.error instanceof ApiError && dependents.error.code === 'Forbidden.NoPermission');
  return (
    <p className="notice warning" data-field="key-dependents">
      {refused
        ? 'How many objects depend on this key is shown to the account root only (Encryption posture); objects encrypted under it become unreadable.'
        : 'The objects encrypted under this key could not be counted; those that are become unreadable.'}
    </p>
  );
}

export function KeyDetailPage({ keyId, root }: { keyId: string; root: boolean }) {
  const id = useId();
  const base = `/api/kms/keys/${seg(keyId)}`;
  const detail = useLoad(() => api<Detail>('GET', base), [keyId]);
  const act = useAction();
  const [panel, setPanel] = useState<null | 'disable' | 'delete' | 'import' | 'rotation' | 'alias'>(null);
  const dependents = useDependents(keyId, root);
  const [removingAlias, setRemovingAlias] = useState<string | null>(null);
  const k = detail.data?.key;

  const post = (path: string, body?: unknown): Promise<boolean> => act.run(async () => {
    await api('POST', `${base}/${path}`, body);
    setPanel(null);
    detail.reload();
  });

  return (
    <section>
      <PageHeader title={<>Key <code>{keyId}</code></>}>
        {k?.keyState === 'Enabled' && <button type="button" onClick={() => { act.clear(); dependents.reload(); setPanel('disable'); }} disabled={act.busy}>Disable</button>}
        {k?.keyState === 'Disabled' && <button type="button" onClick={() => void post('enable')} disabled={act.busy}>Enable</button>}
        {k && k.keyState !== 'PendingDeletion' && <button type="button" className="danger" onClick={() => { act.clear(); dependents.reload(); setPanel('delete'); }}>Schedule deletion</button>}
        {k?.keyState === 'PendingDeletion' && <button type="button" onClick={() => void post('cancel-deletion')} disabled={act.busy}>Cancel deletion</button>}
        {k?.origin === 'EXTERNAL' && k.keyState !== 'PendingDeletion' && (
          <button type="button" className="primary" onClick={() => { act.clear(); setPanel('import'); }}>Import key material</button>
        )}
      </PageHeader>
      <ErrorNotice error={detail.error} title="The key could not be read" />
      <ErrorNotice error={panel === null ? act.error : null} title="The action failed" />
      {detail.loading && <Loading what="the key" />}
      {k && detail.data && (
        <>
          <dl className="props" aria-label="Key">
            <dt>State</dt><dd><span className={`state state-${k.keyState}`} data-field="key-state">{k.keyState}</span></dd>
            <dt>Key Spec</dt><dd>{k.keySpec}</dd>
            <dt>Origin</dt><dd>{k.origin}</dd>
            <dt>Usage</dt><dd>{k.keyUsage}</dd>
            <dt>Description</dt><dd>{k.description || '—'}</dd>
            <dt>ARN</dt><dd><code>{k.arn}</code></dd>
            <dt>Created</dt><dd>{date(k.creationDate)}</dd>
            {dependents.data && <><dt>Objects encrypted under it</dt><dd data-field="key-objects">{dependents.data.objects} ({bytes(dependents.data.bytes)})</dd></>}
            {k.deleteDate && <><dt>Deletion date</dt><dd>{date(k.deleteDate)}</dd></>}
            {k.materialExpireTime && <><dt>Material expires</dt><dd>{date(k.materialExpireTime)}</dd></>}
            <dt>Primary version</dt><dd><code>{k.primaryKeyVersion || '—'}</code></dd>
            <dt>Automatic rotation</dt>
            <dd>
              {k.automaticRotation}{k.automaticRotation === 'Enabled' ? `, every ${k.rotationInterval}, next ${date(k.nextRotationDate)}` : ''}
              {k.origin === 'Aliyun_KMS' && <> <button type="button" className="link" onClick={() => { act.clear(); setPanel('rotation'); }}>Change</button></>}
            </dd>
          </dl>

          <section aria-labelledby={`${id}-aliases`}>
            <div className="section-header">
              <h2 id={`${id}-aliases`}>Aliases</h2>
              <button type="button" onClick={() => { act.clear(); setPanel('alias'); }}>Add alias</button>
            </div>
            {detail.data.aliases.length === 0 ? <Empty>No aliases. An alias names the key in CMK selectors.</Empty> : (
              <ul className="chips">
                {detail.data.aliases.map((a) => (
                  <li key={a}><code>{a}</code> <button type="button" className="link danger" aria-label={`Delete alias ${a}`} onClick={() => { act.clear(); setRemovingAlias(a); }}>Delete</button></li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby={`${id}-versions`}>
            <div className="section-header">
              <h2 id={`${id}-versions`}>Versions</h2>
              {k.origin === 'Aliyun_KMS' && k.keyState === 'Enabled' && <button type="button" onClick={() => void post('versions')} disabled={act.busy}>Create version</button>}
            </div>
            <table className="list" aria-label="Key versions">
              <thead><tr><th scope="col">Version ID</th><th scope="col">Created</th><th scope="col">Primary</th></tr></thead>
              <tbody>
                {detail.data.versions.map((v) => (
                  <tr key={v.keyVersionId}>
                    <th scope="row"><code>{v.keyVersionId}</code></th>
                    <td>{date(v.creationDate)}</td>
                    <td>{v.keyVersionId === k.primaryKeyVersion ? 'Yes' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}

      {panel === 'disable' && (
        <ConfirmDialog
          title="Disable key" confirmLabel="Disable" busy={act.busy}
          error={<ErrorNotice error={act.error} title="The key was not disabled" />}
          onCancel={() => setPanel(null)}
          onConfirm={() => void post('disable')}
        >
          <p>Disable key <code>{keyId}</code>? While it is disabled, nothing can be encrypted or decrypted with it.</p>
          <Consequence dependents={dependents} until=" until the key is enabled again" />
        </ConfirmDialog>
      )}
      {panel === 'delete' && (
        <ScheduleDeletion
          keyId={keyId} busy={act.busy} error={act.error} onCancel={() => setPanel(null)}
          consequence={<Consequence dependents={dependents} until=" once the key is deleted" />}
          onConfirm={(days) => void post('schedule-deletion', { pendingWindowInDays: days })}
        />
      )}
      {panel === 'rotation' && k && (
        <RotationPanel current={k} busy={act.busy} error={act.error} onCancel={() => setPanel(null)} onSave={(body) => void post('rotation', body)} />
      )}
      {panel === 'alias' && <AliasPanel busy={act.busy} error={act.error} onCancel={() => setPanel(null)} onSave={(aliasName) => void post('aliases', { aliasName })} />}
      {panel === 'import' && k && (
        <ImportMaterialPanel keyId={keyId} keySpec={k.keySpec} onClose={() => setPanel(null)} onImported={() => { setPanel(null); detail.reload(); }} />
      )}
      {removingAlias && (
        <ConfirmDialog
          title="Delete alias" confirmLabel="Delete alias" busy={act.busy}
          error={<ErrorNotice error={act.error} title="The alias was not deleted" />}
          onCancel={() => setRemovingAlias(null)}
          onConfirm={() => void act.run(async () => {
            await api('DELETE', `/api/kms/aliases/${seg(removingAlias)}`);
            setRemovingAlias(null);
            detail.reload();
          })}
        >
          <p>Delete <strong>{removingAlias}</strong>? Buckets or applications naming the key by this alias will no longer find it.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function ScheduleDeletion({ keyId, busy, error, consequence, onCancel, onConfirm }: {
  keyId: string; busy: boolean; error: unknown; consequence: ReactNode; onCancel: () => void; onConfirm: (days: number) => void;
}) {
  const id = useId();
  const [days, setDays] = useState(30);
  return (
    <Modal title="Schedule key deletion" onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); onConfirm(days); }}>
        <p>After the waiting period, key <code>{keyId}</code> and all its versions are destroyed, and everything encrypted under it becomes unreadable. Until then, the deletion can be cancelled.</p>
        {consequence}
        <div className="field">
          <label htmlFor={`${id}-days`}>Waiting period (days, 7–366)</label>
          <input id={`${id}-days`} type="number" min={7} max={366} value={days} onChange={(e) => setDays(Number(e.target.value))} required autoFocus />
        </div>
        <ErrorNotice error={error} title="The deletion was not scheduled" />
        <DialogButtons submit="Schedule deletion" danger disabled={busy} onCancel={onCancel} />
      </form>
    </Modal>
  );
}

function RotationPanel({ current, busy, error, onCancel, onSave }: {
  current: KeyMetadata; busy: boolean; error: unknown; onCancel: () => void; onSave: (body: { enableAutomaticRotation: boolean; rotationInterval?: string }) => void;
}) {
  const id = useId();
  const [on, setOn] = useState(current.automaticRotation === 'Enabled');
  const [days, setDays] = useState(() => Math.round(Number.parseInt(current.rotationInterval, 10) / 86400) || 365);
  return (
    <Modal title="Rotation policy" onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); onSave({ enableAutomaticRotation: on, rotationInterval: on ? `${days}d` : undefined }); }}>
        <label><input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} autoFocus /> Rotate automatically</label>
        {on && (
          <div className="field">
            <label htmlFor={`${id}-days`}>Rotation period (days, 7–365)</label>
            <input id={`${id}-days`} type="number" min={7} max={365} value={days} onChange={(e) => setDays(Number(e.target.value))} required />
          </div>
        )}
        <ErrorNotice error={error} title="The policy was not saved" />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>Save</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}

function AliasPanel({ busy, error, onCancel, onSave }: { busy: boolean; error: unknown; onCancel: () => void; onSave: (alias: string) => void }) {
  const id = useId();
  const [alias, setAlias] = useState('');
  return (
    <Modal title="Add alias" onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); onSave(alias); }}>
        <div className="field">
          <label htmlFor={`${id}-alias`}>Alias</label>
          <input id={`${id}-alias`} value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="alias/my-key" required autoFocus />
        </div>
        <ErrorNotice error={error} title="The alias was not added" />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>Add</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}
