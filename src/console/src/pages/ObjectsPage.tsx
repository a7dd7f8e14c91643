/** Objects under a prefix ("/" as delimiter), page by page; upload, download, delete. */
import { useState } from 'react';
import { api, downloadObject, qs, seg } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { bytes, date } from '../format';
import { Link, navigate } from '../router';
import type { ObjectSummary } from '../types';
import { UploadPanel } from './UploadPanel';

const PAGE_SIZE = 50;

interface Page { prefixes: string[]; objects: ObjectSummary[]; nextToken: string | null }

export function ObjectsPage({ bucket, prefix }: { bucket: string; prefix: string }) {
  // Tokens of the pages before the current one: "Previous" pops.
  const [tokens, setTokens] = useState<(string | null)[]>([]);
  const [token, setToken] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const del = useAction();
  const download = useAction();
  const page = useLoad(
    () => api<Page>('GET', `/api/buckets/${seg(bucket)}/objects${qs({ prefix, token, max: PAGE_SIZE })}`),
    [bucket, prefix, token],
  );
  const go = (p: string): void => navigate(`/buckets/${seg(bucket)}${qs({ prefix: p || null })}`);
  const crumbs = prefix.split('/').filter(Boolean);
  const data = page.data;
  return (
    <section>
      <PageHeader title="Objects">
        <button type="button" className="primary" onClick={() => setUploading(true)}>Upload</button>
        <button type="button" onClick={page.reload}>Refresh</button>
      </PageHeader>
      <nav className="breadcrumb" aria-label="Folder">
        <button type="button" className="link" onClick={() => go('')}>{bucket}</button>
        {crumbs.map((c, i) => (
          <span key={i}> / <button type="button" className="link" onClick={() => go(`${crumbs.slice(0, i + 1).join('/')}/`)}>{c}</button></span>
        ))}
      </nav>
      <ErrorNotice error={page.error} title="The objects could not be listed" />
      <ErrorNotice error={download.error} title="The object could not be downloaded" />
      {page.loading && <Loading what="objects" />}
      {data && data.prefixes.length === 0 && data.objects.length === 0 && (
        <Empty>{prefix ? `Nothing under ${prefix}.` : 'This bucket is empty.'} Upload files to add objects.</Empty>
      )}
      {data && (data.prefixes.length > 0 || data.objects.length > 0) && (
        <table className="list" aria-label="Objects">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Type</th><th scope="col">Last modified</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {data.prefixes.map((p) => (
              <tr key={p}>
                <th scope="row"><button type="button" className="link folder" onClick={() => go(p)}>{p.slice(prefix.length)}</button></th>
                <td /><td>Folder</td><td /><td />
              </tr>
            ))}
            {data.objects.map((o) => (
              <tr key={o.key} data-key={o.key}>
                <th scope="row"><Link to={`/buckets/${seg(bucket)}/object${qs({ key: o.key })}`}>{o.key.slice(prefix.length)}</Link></th>
                <td>{bytes(o.size)}</td>
                <td>{o.type}</td>
                <td>{date(o.lastModified)}</td>
                <td className="row-actions">
                  <button type="button" className="link" disabled={download.busy} onClick={() => { void download.run(() => downloadObject(bucket, o.key)); }}>Download</button>
                  <button type="button" className="link danger" onClick={() => { del.clear(); setDeleting(o.key); }}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager">
        <button type="button" disabled={tokens.length === 0} onClick={() => { setToken(tokens[tokens.length - 1]); setTokens(tokens.slice(0, -1)); }}>Previous page</button>
        <button type="button" disabled={!data?.nextToken} onClick={() => { setTokens([...tokens, token]); setToken(data!.nextToken); }}>Next page</button>
      </div>
      {uploading && (
        <UploadPanel bucket={bucket} prefix={prefix} onClose={() => { setUploading(false); page.reload(); }} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete object" confirmLabel="Delete" busy={del.busy}
          error={<ErrorNotice error={del.error} title="The object was not deleted" />}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void del.run(async () => {
            await api('DELETE', `/api/buckets/${seg(bucket)}/object${qs({ key: deleting })}`);
            setDeleting(null);
            page.reload();
          })}
        >
          <p>Delete <strong>{deleting}</strong> from {bucket}? In a versioned bucket a delete marker hides it and its versions stay (see the object's page); otherwise this cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
