/** RAM policies: the account's custom policies and the system ones; create, edit, delete custom policies. */
import { useState } from 'react';
import { api, seg } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { date } from '../format';
import { Link, navigate } from '../router';
import type { RamPolicy } from '../types';

export function PoliciesPage() {
  const policies = useLoad(() => api<{ policies: RamPolicy[]; truncated: boolean }>('GET', '/api/ram/policies'), []);
  const [deleting, setDeleting] = useState<string | null>(null);
  const del = useAction();
  const rows = policies.data?.policies ?? [];
  return (
    <section>
      <PageHeader title="Policies">
        <button type="button" className="primary" onClick={() => navigate('/ram/policies/new')}>Create Policy</button>
        <button type="button" onClick={policies.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={policies.error} title="The policies could not be listed" />
      {policies.loading && <Loading what="policies" />}
      {!policies.loading && !policies.error && rows.length === 0 && <Empty>No policies.</Empty>}
      {rows.length > 0 && (
        <table className="list" aria-label="Policies">
          <thead><tr><th scope="col">Policy</th><th scope="col">Type</th><th scope="col">Description</th><th scope="col">Attachments</th><th scope="col">Updated</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {rows.map((p) => (
              <tr key={`${p.policyType}:${p.policyName}`}>
                <th scope="row"><Link to={`/ram/policies/${seg(p.policyType)}/${seg(p.policyName)}`}>{p.policyName}</Link></th>
                <td>{p.policyType}</td>
                <td>{p.description}</td>
                <td>{p.attachmentCount ?? ''}</td>
                <td>{date(p.createDate)}</td>
                <td className="row-actions">
                  {p.policyType === 'Custom' && <button type="button" className="link danger" onClick={() => { del.clear(); setDeleting(p.policyName); }}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete policy" confirmLabel="Delete policy" busy={del.busy}
          error={<ErrorNotice error={del.error} title="The policy was not deleted" />}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void del.run(async () => {
            await api('DELETE', `/api/ram/policies/Custom/${seg(deleting)}`);
            setDeleting(null);
            policies.reload();
          })}
        >
          <p>Delete the custom policy <strong>{deleting}</strong>? A policy still attached to users cannot be deleted.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
