/** KMS keys: id, alias, spec, origin, state, rotation; create a key. */
import { useState } from 'react';
import { api, seg } from '../api';
import { Empty, ErrorNotice, Loading, PageHeader, useLoad } from '../components/ui';
import { date } from '../format';
import { Link, navigate } from '../router';
import type { KeyRow } from '../types';
import { CreateKeyPanel } from './CreateKeyPanel';

const PAGE_SIZE = 20;

export function KeysPage() {
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const keys = useLoad(() => api<{ keys: KeyRow[]; totalCount: number }>('GET', `/api/kms/keys?page=${page}&pageSize=${PAGE_SIZE}`), [page]);
  const rows = keys.data?.keys ?? [];
  const pages = Math.max(1, Math.ceil((keys.data?.totalCount ?? 0) / PAGE_SIZE));
  return (
    <section>
      <PageHeader title="KMS keys">
        <button type="button" className="primary" onClick={() => setCreating(true)}>Create Key</button>
        <button type="button" onClick={keys.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={keys.error} title="The keys could not be listed" />
      {keys.loading && <Loading what="keys" />}
      {!keys.loading && !keys.error && rows.length === 0 && (
        <Empty>No keys yet. Create a key, or create an External key and import your own material.</Empty>
      )}
      {rows.length > 0 && (
        <table className="list" aria-label="Keys">
          <thead>
            <tr>
              <th scope="col">Key ID</th><th scope="col">Alias</th><th scope="col">Key spec</th><th scope="col">Origin</th>
              <th scope="col">State</th><th scope="col">Rotation</th><th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => (
              <tr key={k.keyId} data-key-id={k.keyId}>
                <th scope="row"><Link to={`/kms/keys/${seg(k.keyId)}`}><code>{k.keyId}</code></Link></th>
                <td>{k.aliases.join(', ') || '—'}</td>
                <td>{k.keySpec}</td>
                <td>{k.origin}</td>
                <td><span className={`state state-${k.keyState}`}>{k.keyState}</span></td>
                <td>{k.automaticRotation}{k.automaticRotation === 'Enabled' ? ` (${k.rotationInterval})` : ''}</td>
                <td>{date(k.creationDate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <div className="pager">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous page</button>
          <span>Page {page} of {pages}</span>
          <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next page</button>
        </div>
      )}
      {creating && (
        <CreateKeyPanel onClose={() => setCreating(false)} onCreated={(keyId) => navigate(`/kms/keys/${seg(keyId)}`)} />
      )}
    </section>
  );
}
