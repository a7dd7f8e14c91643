/**
 * Access Control > Bucket Policy: the bucket's policy document in the same checked JSON editor as
 * RAM policies (plus Principal), saved as written; the server's own check (actions, resources in
 * this bucket, principals) answers anything the page does not catch.
 */
import { useEffect, useId, useState } from 'react';
import { api, seg } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { PolicyDocumentField } from '../components/PolicyDocumentField';
import { ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { bucketPolicyTemplate, policyProblems } from '../lib/policy';

export function BucketPolicyPage({ bucket }: { bucket: string }) {
  const id = useId();
  const path = `/api/buckets/${seg(bucket)}/policy`;
  const loaded = useLoad(() => api<{ policy: string | null }>('GET', path), [bucket]);
  const [stored, setStored] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<string[] | null>(null);
  const [removing, setRemoving] = useState(false);
  const save = useAction();
  const remove = useAction();

  const show = (policy: string | null): void => {
    setStored(policy);
    let shown = policy ?? bucketPolicyTemplate(bucket);
    try {
      shown = JSON.stringify(JSON.parse(shown), null, 2);
    } catch {
      // An unparsable stored document is shown as it is.
    }
    setText(shown);
    setProblems(null);
  };
  useEffect(() => { if (loaded.data) show(loaded.data.policy); }, [loaded.data]);

  const submit = (): void => {
    const found = policyProblems(text, 'bucket');
    setProblems(found);
    if (found.length) return;
    void save.run(async () => show((await api<{ policy: string | null }>('PUT', path, { policy: text })).policy));
  };

  return (
    <section>
      <PageHeader title="Bucket Policy">
        {stored !== null && <button type="button" onClick={() => { remove.clear(); setRemoving(true); }}>Delete policy</button>}
      </PageHeader>
      <ErrorNotice error={loaded.error} title="The bucket policy could not be read" />
      {loaded.loading && <Loading what="the bucket policy" />}
      {loaded.data && (
        <form onSubmit={(e) => { e.preventDefault(); submit(); }} className="policy-form">
          <p data-field="policy-state">{stored === null ? 'This bucket has no policy; the template below is not saved.' : 'The policy in force.'}</p>
          <PolicyDocumentField id={id} text={text} problems={problems} onChange={(t) => { setText(t); setProblems(null); }} />
          <ErrorNotice error={save.error} title="The policy was not saved" />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={save.busy}>Save policy</button>
            <button type="button" onClick={() => setProblems(policyProblems(text, 'bucket'))}>Check</button>
          </div>
          <p className="hint">Each statement names a Principal: "*" for anyone (anonymous callers too), RAM user ids or names of this account, or the account UID. An explicit Deny wins over any Allow, also for the account itself (except managing this policy).</p>
        </form>
      )}
      {removing && (
        <ConfirmDialog
          title="Delete bucket policy" confirmLabel="Delete policy" busy={remove.busy}
          error={<ErrorNotice error={remove.error} title="The policy was not deleted" />}
          onConfirm={() => void remove.run(async () => { await api('DELETE', path); setRemoving(false); show(null); })}
          onCancel={() => setRemoving(false)}
        >
          <p>Delete the policy of <strong>{bucket}</strong>? Access falls back to RAM policies and ACLs at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
