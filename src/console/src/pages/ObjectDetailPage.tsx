/** One object: what `ossutil stat` shows, with the encryption fields spelled out; download, delete; its versions. */
import { useState } from 'react';
import { api, downloadObject, qs, seg } from '../api';
import { useKeys } from '../components/EncryptionFields';
import { ConfirmDialog } from '../components/Modal';
import { ObjectVersions } from '../components/ObjectVersions';
import { ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { ALGORITHM_LABEL, METHOD_LABEL, bytes, cmkLabel } from '../format';
import { navigate } from '../router';
import type { ObjectDetail } from '../types';

export function ObjectDetailPage({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const detail = useLoad(() => api<ObjectDetail>('GET', `/api/buckets/${seg(bucket)}/object${qs({ key: objectKey })}`), [bucket, objectKey]);
  const keys = useKeys();
  const [deleting, setDeleting] = useState(false);
  const del = useAction();
  const download = useAction();
  const o = detail.data;
  const folder = objectKey.includes('/') ? objectKey.slice(0, objectKey.lastIndexOf('/') + 1) : '';
  const back = `/buckets/${seg(bucket)}${qs({ prefix: folder || null })}`;
  return (
    <section>
      <PageHeader title={<>Object <code>{objectKey}</code></>}>
        <button type="button" disabled={download.busy} onClick={() => { void download.run(() => downloadObject(bucket, objectKey)); }}>Download</button>
        <button type="button" className="danger" onClick={() => setDeleting(true)}>Delete</button>
        <button type="button" onClick={() => navigate(back)}>Back to objects</button>
      </PageHeader>
      <ErrorNotice error={detail.error} title="The object could not be read" />
      <ErrorNotice error={download.error} title="The object could not be downloaded" />
      {detail.loading && <Loading what="object details" />}
      {o && (
        <div className="columns">
          <dl className="props" aria-label="Object properties">
            <dt>ACL</dt><dd>{o.acl}</dd>
            <dt>Content-Length</dt><dd>{o.size} ({bytes(o.size)})</dd>
            <dt>Content-Md5</dt><dd><code>{o.contentMd5 ?? '—'}</code></dd>
            <dt>Content-Type</dt><dd>{o.contentType}</dd>
            <dt>ETag</dt><dd><code data-field="etag">{o.etag}</code></dd>
            <dt>Last-Modified</dt><dd>{o.lastModified}</dd>
            <dt>X-Oss-Hash-Crc64ecma</dt><dd><code data-field="crc64">{o.crc64}</code></dd>
            <dt>X-Oss-Object-Type</dt><dd>{o.objectType}</dd>
            <dt>X-Oss-Storage-Class</dt><dd>{o.storageClass}</dd>
          </dl>
          <div>
            <h2>Server-side encryption</h2>
            <dl className="props" aria-label="Encryption">
              <dt>Encryption Method</dt><dd data-field="sse-method">{METHOD_LABEL[o.encryption.method]}</dd>
              {o.encryption.method !== 'None' && (
                <>
                  <dt>Data Encryption Algorithm</dt><dd data-field="sse-algorithm">{ALGORITHM_LABEL[o.encryption.algorithm]}</dd>
                </>
              )}
              {o.encryption.method === 'KMS' && (
                <>
                  <dt>CMK</dt><dd data-field="sse-cmk">{cmkLabel(o.encryption.kmsKeyId, keys.data)}</dd>
                </>
              )}
            </dl>
            <h2>User metadata</h2>
            {Object.keys(o.meta).length === 0 ? (
              <p className="hint">No x-oss-meta-* headers.</p>
            ) : (
              <dl className="props" aria-label="User metadata">
                {Object.entries(o.meta).map(([k, v]) => (
                  <div key={k} className="prop-row"><dt>x-oss-meta-{k}</dt><dd>{v}</dd></div>
                ))}
              </dl>
            )}
          </div>
        </div>
      )}
      <ObjectVersions bucket={bucket} objectKey={objectKey} onChange={detail.reload} />
      {deleting && (
        <ConfirmDialog
          title="Delete object" confirmLabel="Delete" busy={del.busy}
          error={<ErrorNotice error={del.error} title="The object was not deleted" />}
          onCancel={() => setDeleting(false)}
          onConfirm={() => void del.run(async () => {
            await api('DELETE', `/api/buckets/${seg(bucket)}/object${qs({ key: objectKey })}`);
            navigate(back);
          })}
        >
          <p>Delete <strong>{objectKey}</strong> from {bucket}? In a versioned bucket a delete marker hides it and its versions stay; otherwise this cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
