/**
 * Encryption posture (account root): per bucket, objects and bytes by encryption mode and data
 * cipher; what still depends on an older SSE-OSS master-key version (with the way to the rewrap
 * on the Server page); what depends on each KMS key. From the admin API's
 * DescribeEncryptionPosture, which reads counters the server keeps with every write: the figures
 * are exact as of the time shown.
 */
import { useId, useState } from 'react';
import { api, seg } from '../api';
import { BarChart } from '../components/charts';
import { useKeys } from '../components/EncryptionFields';
import { Empty, ErrorNotice, Loading, PageHeader, useLoad } from '../components/ui';
import { bytes, cmkLabel } from '../format';
import { CATEGORIES, categoryLabel, categoryOf, encryptedShare, plural } from '../lib/posture';
import { Link } from '../router';
import type { EncryptionPostureView, KeyRow, PostureClassView } from '../types';

/** A share in tenths of a percent; never "100%" while something is missing, nor "0%" once something is there. */
function percent(part: number, whole: number): string {
  if (!(whole > 0)) return '—';
  const p = Math.round((part / whole) * 1000) / 10;
  if (p === 100 && part < whole) return '>99.9%';
  if (p === 0 && part > 0) return '<0.1%';
  return `${p}%`;
}

/** What an object key of the class depends on, in words. */
function sealedBy(c: PostureClassView, current: number | null, keys: KeyRow[] | null) {
  if (c.mode === 'SSE-OSS') {
    const older = current !== null && c.masterKeyVersion! < current;
    return <>Master key version {c.masterKeyVersion} {older ? <span className="state state-PendingImport">older</span> : <span className="state state-Enabled">current</span>}</>;
  }
  if (c.mode === 'SSE-KMS') return <>CMK <Link to={`/kms/keys/${seg(c.kmsKeyId!)}`}>{cmkLabel(c.kmsKeyId, keys)}</Link></>;
  if (c.mode === 'SSE-C') return <>The customer&apos;s key (not stored)</>;
  return <>—</>;
}

export function PosturePage() {
  const id = useId();
  const posture = useLoad(() => api<{ posture: EncryptionPostureView }>('GET', '/api/admin/encryption-posture'), []);
  const keys = useKeys();
  const [measure, setMeasure] = useState<'objects' | 'bytes'>('objects');
  const p = posture.data?.posture;
  const share = p && encryptedShare(p);
  const older = p?.olderMasterKeyVersions;
  const keyState = (keyId: string): string => {
    const k = keys.data?.find((x) => x.keyId === keyId);
    if (k) return k.keyState;
    return keys.data && keys.data.length < 100 ? 'Not in KMS' : '';
  };

  return (
    <section>
      <PageHeader title="Encryption posture">
        <button type="button" onClick={posture.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={posture.error} title="The encryption posture could not be read" />
      {posture.loading && !p && <Loading what="the encryption posture" />}
      {p && share && older && (
        <>
          <p className="hint">
            Counted as of <time dateTime={p.computedAt} data-field="computed-at">{new Date(p.computedAt).toLocaleString()}</time>.
            The server keeps these counts with every write (no scan), so they are exact at that moment.
          </p>
          {!p.complete && (
            <div className="notice info" role="status" data-field="posture-incomplete">
              Some buckets were made by an older release and are still being counted in the background
              ({p.buckets.filter((b) => !b.complete).map((b) => b.name).join(', ')}); their figures grow until it finishes.
            </div>
          )}
          <div className="tiles">
            <div className="tile"><span className="tile-value" data-field="posture-objects">{p.totals.reduce((n, t) => n + t.objects, 0)}</span><span className="tile-label">Objects ({bytes(share.bytes)})</span></div>
            <div className="tile">
              <span className="tile-value" data-field="posture-encrypted">{percent(share.encrypted, share.objects)}</span>
              <span className="tile-label">Encrypted: {share.encrypted} of {plural(share.objects, 'object')}, {percent(share.encryptedBytes, share.bytes)} of bytes</span>
            </div>
            <div className={older.objects + older.multipartUploads > 0 ? 'tile warn' : 'tile'}><span className="tile-value" data-field="older-objects">{older.objects}</span><span className="tile-label">Objects under older master-key versions</span></div>
            <div className="tile"><span className="tile-value" data-field="kms-keys-in-use">{p.kmsKeys.length}</span><span className="tile-label">KMS keys protecting objects</span></div>
          </div>

          <section aria-labelledby={`${id}-buckets`}>
            <div className="section-header">
              <h2 id={`${id}-buckets`}>By bucket</h2>
              <div className="radios" role="radiogroup" aria-label="Measure">
                <label><input type="radio" name={`${id}-measure`} checked={measure === 'objects'} onChange={() => setMeasure('objects')} /> Objects</label>
                <label><input type="radio" name={`${id}-measure`} checked={measure === 'bytes'} onChange={() => setMeasure('bytes')} /> Bytes</label>
              </div>
            </div>
            {p.buckets.length === 0 ? <Empty>No buckets yet.</Empty> : (
              <BarChart
                id="posture-buckets" shares width={1200} label={`Share of each bucket's ${measure} by encryption`}
                format={measure === 'bytes' ? bytes : String}
                segments={CATEGORIES.filter((c) => p.totals.some((t) => categoryOf(t) === c.key))}
                rows={p.buckets.map((b) => {
                  const values: Record<string, number> = {};
                  for (const c of b.classes) values[categoryOf(c)] = (values[categoryOf(c)] ?? 0) + c[measure];
                  return { label: b.name, values };
                })}
              />
            )}
            {p.buckets.some((b) => b.classes.length > 0) && (
              <table className="list numeric" aria-label="Encryption by bucket">
                <thead>
                  <tr>
                    <th scope="col">Bucket</th><th scope="col">Encryption</th><th scope="col">Object keys sealed by</th>
                    <th scope="col">Objects</th><th scope="col">Bytes</th><th scope="col">Unfinished uploads</th>
                  </tr>
                </thead>
                <tbody>
                  {p.buckets.flatMap((b) => b.classes.map((c, i) => (
                    <tr key={`${b.name}/${i}`} data-bucket={b.name} data-class={categoryOf(c)}>
                      {i === 0 ? <th scope="rowgroup" rowSpan={b.classes.length}><Link to={`/buckets/${seg(b.name)}`}>{b.name}</Link></th> : null}
                      <td>{categoryLabel(c)}</td>
                      <td>{sealedBy(c, p.currentMasterKeyVersion, keys.data)}</td>
                      <td data-field="objects">{c.objects}</td><td>{bytes(c.bytes)}</td><td>{c.multipartUploads}</td>
                    </tr>
                  )))}
                </tbody>
              </table>
            )}
          </section>

          <section className="panel" aria-labelledby={`${id}-versions`} data-section="master-key-versions">
            <h2 id={`${id}-versions`}>SSE-OSS master-key versions</h2>
            {older.objects + older.multipartUploads > 0 ? (
              <div className="notice warning" role="status">
                <p data-field="older-summary">
                  <strong>
                    {plural(older.objects, 'object')} ({bytes(older.bytes)})
                    {older.multipartUploads > 0 ? <> and {plural(older.multipartUploads, 'unfinished multipart upload')}</> : null}
                  </strong> {older.objects + older.multipartUploads === 1 ? 'is' : 'are'} still sealed under a master-key version older than the current one ({p.currentMasterKeyVersion}).
                </p>
                <p>Re-sealing them rewrites only each object&apos;s sealed key; afterwards nothing depends on the older versions. <Link className="button" to="/server#rewrap">Re-seal object keys on the Server page</Link></p>
              </div>
            ) : (
              <p className="notice info" data-field="older-summary">Nothing depends on an older master-key version: every SSE-OSS object key is sealed under the current version{p.currentMasterKeyVersion !== null ? ` (${p.currentMasterKeyVersion})` : ''}.</p>
            )}
            <table className="list numeric" aria-label="Objects by master-key version">
              <thead><tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Objects</th><th scope="col">Bytes</th><th scope="col">Unfinished uploads</th></tr></thead>
              <tbody>
                {p.masterKeyVersions.map((v) => (
                  <tr key={v.version} data-version={v.version}>
                    <th scope="row">{v.version}</th>
                    <td>{v.current ? 'Current' : 'Older'}</td>
                    <td data-field="objects">{v.objects}</td><td>{bytes(v.bytes)}</td><td data-field="uploads">{v.multipartUploads}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section aria-labelledby={`${id}-kms`}>
            <h2 id={`${id}-kms`}>KMS keys</h2>
            <p className="hint">Objects whose keys only a KMS key can open: disabling the key makes them unreadable until it is enabled again; deleting it, for good. Keys not listed protect no object.</p>
            {p.kmsKeys.length === 0 ? <Empty>No object is encrypted with SSE-KMS.</Empty> : (
              <table className="list numeric" aria-label="Objects by KMS key">
                <thead>
                  <tr><th scope="col">Key</th><th scope="col">State</th><th scope="col">Objects</th><th scope="col">Bytes</th><th scope="col">Unfinished uploads</th><th scope="col">Buckets</th></tr>
                </thead>
                <tbody>
                  {p.kmsKeys.map((k) => (
                    <tr key={k.keyId} data-key-id={k.keyId}>
                      <th scope="row"><Link to={`/kms/keys/${seg(k.keyId)}`}>{cmkLabel(k.keyId, keys.data)}</Link></th>
                      <td>{keyState(k.keyId) && <span className={`state state-${keyState(k.keyId).replace(/ /g, '')}`}>{keyState(k.keyId)}</span>}</td>
                      <td data-field="objects">{k.objects}</td><td>{bytes(k.bytes)}</td><td>{k.multipartUploads}</td>
                      <td>{k.buckets.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
