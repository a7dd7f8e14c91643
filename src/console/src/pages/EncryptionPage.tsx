/**
 * Content Security > Server-side Encryption: the bucket rule (view, Settings, remove), and
 * re-encryption of the objects already stored, which a rule change leaves as they are.
 */
import { useEffect, useId, useState } from 'react';
import { api, seg } from '../api';
import { EncryptionFields, useKeys } from '../components/EncryptionFields';
import { ConfirmDialog } from '../components/Modal';
import { ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { ALGORITHM_LABEL, METHOD_LABEL, cmkLabel, encryptionSummary } from '../format';
import type { EncryptionChoice } from '../types';

interface Progress { total: number; capped: boolean; done: number; failed: { key: string; code: string; message: string }[]; finished: boolean }

export function EncryptionPage({ bucket }: { bucket: string }) {
  const base = `/api/buckets/${seg(bucket)}`;
  const rule = useLoad(() => api<{ rule: EncryptionChoice }>('GET', `${base}/encryption`), [bucket]);
  const keys = useKeys();
  const [editing, setEditing] = useState<EncryptionChoice | null>(null);
  const [removing, setRemoving] = useState(false);
  const save = useAction();
  const current = rule.data?.rule ?? null;

  return (
    <section>
      <PageHeader title="Server-side Encryption">
        {!editing && <button type="button" className="primary" disabled={!current} onClick={() => { save.clear(); setEditing(current); }}>Settings</button>}
        {!editing && current && current.method !== 'None' && <button type="button" onClick={() => { save.clear(); setRemoving(true); }}>Remove rule</button>}
      </PageHeader>
      <ErrorNotice error={rule.error} title="The encryption rule could not be read" />
      {rule.loading && <Loading what="the encryption rule" />}
      {current && !editing && (
        <dl className="props" aria-label="Bucket encryption rule">
          <dt>Encryption Method</dt><dd data-field="rule-method">{METHOD_LABEL[current.method]}</dd>
          {current.method !== 'None' && <><dt>Encryption Algorithm</dt><dd data-field="rule-algorithm">{ALGORITHM_LABEL[current.algorithm]}</dd></>}
          {current.method === 'KMS' && <><dt>CMK</dt><dd data-field="rule-cmk">{cmkLabel(current.kmsKeyId, keys.data)}</dd></>}
        </dl>
      )}
      {editing && (
        <form
          className="panel" aria-label="Encryption settings"
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () => {
              await api('PUT', `${base}/encryption`, editing);
              setEditing(null);
              rule.reload();
            });
          }}
        >
          <EncryptionFields value={editing} onChange={setEditing} keys={keys} />
          <ErrorNotice error={save.error} title="The rule was not saved" />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={save.busy}>{save.busy ? 'Saving…' : 'Save'}</button>
            <button type="button" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </form>
      )}
      <div className="notice info" role="note">
        <p>
          The rule applies to objects uploaded from now on, when the upload names no encryption of its own.
          <strong> Objects already in the bucket are not changed.</strong> To encrypt them under the current rule,
          re-encrypt them: each object is copied onto itself with the rule&apos;s encryption (CopyObject), keeping its data and metadata.
        </p>
      </div>
      {current && <Reencrypt bucket={bucket} rule={current} summary={encryptionSummary(current, keys.data)} />}
      {removing && (
        <ConfirmDialog
          title="Remove the encryption rule" confirmLabel="Remove" busy={save.busy}
          error={<ErrorNotice error={save.error} title="The rule was not removed" />}
          onCancel={() => setRemoving(false)}
          onConfirm={() => void save.run(async () => {
            await api('DELETE', `${base}/encryption`);
            setRemoving(false);
            rule.reload();
          })}
        >
          <p>New objects in <strong>{bucket}</strong> will no longer be encrypted by default. Stored objects stay as they are.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Re-encrypts objects under a prefix in batches the page requests one after another, showing progress between them. */
function Reencrypt({ bucket, rule, summary }: { bucket: string; rule: EncryptionChoice; summary: string }) {
  const id = useId();
  const base = `/api/buckets/${seg(bucket)}`;
  const [prefix, setPrefix] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [confirming, setConfirming] = useState(false);
  const job = useAction();
  // A rule change makes an earlier run's numbers stale.
  useEffect(() => setProgress(null), [rule]);

  const run = (): Promise<boolean> => job.run(async () => {
    setConfirming(false);
    const { count, capped } = await api<{ count: number; capped: boolean }>('GET', `${base}/count?prefix=${encodeURIComponent(prefix)}`);
    let p: Progress = { total: count, capped, done: 0, failed: [], finished: false };
    setProgress(p);
    let token: string | null = null;
    do {
      const batch: { processed: number; failed: Progress['failed']; continuationToken: string | null } = await api('POST', `${base}/reencrypt`, {
        prefix, continuationToken: token, encryption: rule,
      });
      token = batch.continuationToken;
      p = { ...p, done: p.done + batch.processed, failed: [...p.failed, ...batch.failed], finished: token === null };
      setProgress(p);
    } while (token);
  });

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Re-encrypt existing objects</h2>
      <p>Target encryption: <strong data-field="reencrypt-target">{summary}</strong></p>
      <form onSubmit={(e) => { e.preventDefault(); setConfirming(true); }} className="inline-form">
        <div className="field">
          <label htmlFor={`${id}-prefix`}>Prefix</label>
          <input id={`${id}-prefix`} value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="All objects" disabled={job.busy} />
        </div>
        <button type="submit" disabled={job.busy}>{job.busy ? 'Re-encrypting…' : 'Re-encrypt objects'}</button>
      </form>
      {progress && (
        <div className="progress-block">
          <progress max={Math.max(progress.total, 1)} value={progress.finished ? Math.max(progress.total, 1) : progress.done} aria-label="Re-encryption progress" />
          <p role="status" data-field="reencrypt-status">
            {progress.finished
              ? `Done: ${progress.done} object${progress.done === 1 ? '' : 's'} processed, ${progress.failed.length} failed.`
              : `${progress.done} of ${progress.total}${progress.capped ? '+' : ''} objects processed…`}
          </p>
          {progress.failed.length > 0 && (
            <ul className="failures" aria-label="Objects not re-encrypted">
              {progress.failed.map((f) => <li key={f.key}><code>{f.key}</code>: {f.code} — {f.message}</li>)}
            </ul>
          )}
        </div>
      )}
      <ErrorNotice error={job.error} title="Re-encryption stopped" />
      {confirming && (
        <ConfirmDialog
          title="Re-encrypt objects" confirmLabel="Re-encrypt"
          onCancel={() => setConfirming(false)} onConfirm={() => void run()}
        >
          <p>
            Copy every object under <strong>{prefix || 'the bucket root'}</strong> in {bucket} onto itself with encryption <strong>{summary}</strong>?
            Objects stay readable throughout; each one is replaced as it is copied.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
