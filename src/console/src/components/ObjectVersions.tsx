/** The versions of one object (ListObjectVersions): download one, or delete one for good. */
import { useState } from 'react';
import { api, downloadObject, qs, seg } from '../api';
import { ConfirmDialog } from './Modal';
import { ErrorNotice, Loading, useAction, useLoad } from './ui';
import { bytes, date } from '../format';
import type { ObjectVersion } from '../types';

export function ObjectVersions({ bucket, objectKey, onChange }: { bucket: string; objectKey: string; onChange: () => void }) {
  const list = useLoad(() => api<{ versions: ObjectVersion[] }>('GET', `/api/buckets/${seg(bucket)}/object/versions${qs({ key: objectKey })}`), [bucket, objectKey]);
  const download = useAction();
  const del = useAction();
  const [deleting, setDeleting] = useState<ObjectVersion | null>(null);
  const versions = list.data?.versions ?? [];
  // An unversioned bucket has the one null version: nothing to choose from.
  const versioned = versions.length > 1 || versions.some((v) => v.versionId !== 'null');
  return (
    <div>
      <h2>Versions</h2>
      <ErrorNotice error={list.error} title="The versions could not be listed" />
      <ErrorNotice error={download.error} title="The version could not be downloaded" />
      {list.loading && <Loading what="versions" />}
      {list.data && !versioned && <p className="hint">This object has no other versions (versioning is not enabled on the bucket).</p>}
      {list.data && versioned && (
        <table className="list" aria-label="Versions">
          <thead>
            <tr><th scope="col">Version id</th><th scope="col">Size</th><th scope="col">Last modified</th><th scope="col">Latest</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.versionId} data-version-id={v.versionId}>
                <th scope="row"><code>{v.versionId}</code></th>
                <td>{v.deleteMarker ? 'Delete marker' : bytes(v.size ?? 0)}</td>
                <td>{date(v.lastModified)}</td>
                <td>{v.latest ? 'Latest' : ''}</td>
                <td className="row-actions">
                  {!v.deleteMarker && (
                    <button type="button" className="link" disabled={download.busy} onClick={() => { void download.run(() => downloadObject(bucket, objectKey, v.versionId)); }}>Download</button>
                  )}
                  <button type="button" className="link danger" onClick={() => { del.clear(); setDeleting(v); }}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete version" confirmLabel="Delete" busy={del.busy}
          error={<ErrorNotice error={del.error} title="The version was not deleted" />}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void del.run(async () => {
            await api('DELETE', `/api/buckets/${seg(bucket)}/object${qs({ key: objectKey, versionId: deleting.versionId })}`);
            setDeleting(null);
            list.reload();
            onChange();
          })}
        >
          <p>Delete {deleting.deleteMarker ? 'the delete marker' : 'version'} <code>{deleting.versionId}</code> of <strong>{objectKey}</strong> for good? This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
