/** Buckets: name, region, created, encryption, ACL; Create Bucket; delete with a confirmation naming the bucket. */
import { useState } from 'react';
import { api, seg } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { useKeys } from '../components/EncryptionFields';
import { date, encryptionSummary } from '../format';
import { Link } from '../router';
import type { BucketRow } from '../types';
import { CreateBucketPanel } from './CreateBucketPanel';

export function BucketsPage() {
  const buckets = useLoad(() => api<{ buckets: BucketRow[]; truncated: boolean }>('GET', '/api/buckets'), []);
  const keys = useKeys();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const del = useAction();
  const rows = buckets.data?.buckets ?? [];
  return (
    <section>
      <PageHeader title="Buckets">
        <button type="button" className="primary" onClick={() => setCreating(true)}>Create Bucket</button>
        <button type="button" onClick={buckets.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={buckets.error} title="The buckets could not be listed" />
      {buckets.loading && <Loading what="buckets" />}
      {!buckets.loading && !buckets.error && rows.length === 0 && (
        <Empty>No buckets yet. <button type="button" className="link" onClick={() => setCreating(true)}>Create one</button> to store objects.</Empty>
      )}
      {rows.length > 0 && (
        <table className="list" aria-label="Buckets">
          <thead>
            <tr><th scope="col">Bucket</th><th scope="col">Region</th><th scope="col">Created</th><th scope="col">Encryption</th><th scope="col">ACL</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.name} data-bucket={b.name}>
                <th scope="row"><Link to={`/buckets/${seg(b.name)}`}>{b.name}</Link></th>
                {'error' in b ? (
                  <td colSpan={4} className="row-error">{b.error.code}: {b.error.message}</td>
                ) : (
                  <>
                    <td>{b.region}</td>
                    <td>{date(b.createdAt)}</td>
                    <td className="encryption">{encryptionSummary(b.encryption, keys.data)}</td>
                    <td>{b.acl}</td>
                  </>
                )}
                <td className="row-actions">
                  <Link to={`/buckets/${seg(b.name)}/encryption`}>Encryption</Link>
                  <button type="button" className="link danger" onClick={() => { del.clear(); setDeleting(b.name); }}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {buckets.data?.truncated && <p className="hint">Only the first 1000 buckets are shown.</p>}
      {creating && (
        <CreateBucketPanel
          keys={keys}
          onClose={() => setCreating(false)}
          onCreated={() => { setCreating(false); buckets.reload(); }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete bucket"
          confirmLabel="Delete bucket"
          typeToConfirm={deleting}
          busy={del.busy}
          error={<ErrorNotice error={del.error} title={`Bucket ${deleting} was not deleted`} />}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void del.run(async () => {
            await api('DELETE', `/api/buckets/${seg(deleting)}`);
            setDeleting(null);
            buckets.reload();
          })}
        >
          <p>Delete the bucket <strong>{deleting}</strong>? A bucket must be empty to be deleted; this cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
