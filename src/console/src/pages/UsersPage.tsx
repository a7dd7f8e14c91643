/** RAM users: list and create. */
import { useId, useState } from 'react';
import { api, seg } from '../api';
import { DialogButtons, Modal } from '../components/Modal';
import { Empty, ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { date } from '../format';
import { Link, navigate } from '../router';
import type { RamUser } from '../types';

export function UsersPage() {
  const users = useLoad(() => api<{ users: RamUser[]; truncated: boolean }>('GET', '/api/ram/users'), []);
  const [creating, setCreating] = useState(false);
  const rows = users.data?.users ?? [];
  return (
    <section>
      <PageHeader title="Users">
        <button type="button" className="primary" onClick={() => setCreating(true)}>Create User</button>
        <button type="button" onClick={users.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={users.error} title="The users could not be listed" />
      {users.loading && <Loading what="users" />}
      {!users.loading && !users.error && rows.length === 0 && <Empty>No RAM users. Create one to give a person or a program its own access keys and policies.</Empty>}
      {rows.length > 0 && (
        <table className="list" aria-label="Users">
          <thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Created</th><th scope="col">Comments</th></tr></thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.userName}>
                <th scope="row"><Link to={`/ram/users/${seg(u.userName)}`}>{u.userName}</Link></th>
                <td>{u.displayName}</td>
                <td>{date(u.createDate)}</td>
                <td>{u.comments}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {users.data?.truncated && <p className="hint">Only the first 1000 users are shown.</p>}
      {creating && <CreateUser onClose={() => setCreating(false)} onCreated={(name) => navigate(`/ram/users/${seg(name)}`)} />}
    </section>
  );
}

function CreateUser({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const id = useId();
  const [userName, setName] = useState('');
  const [displayName, setDisplay] = useState('');
  const [comments, setComments] = useState('');
  const create = useAction();
  return (
    <Modal title="Create User" onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        void create.run(async () => {
          await api('POST', '/api/ram/users', { userName, displayName, comments });
          onCreated(userName);
        });
      }}
      >
        <div className="field">
          <label htmlFor={`${id}-name`}>User name</label>
          <input id={`${id}-name`} value={userName} onChange={(e) => setName(e.target.value)} required autoFocus />
        </div>
        <div className="field">
          <label htmlFor={`${id}-display`}>Display name</label>
          <input id={`${id}-display`} value={displayName} onChange={(e) => setDisplay(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-comments`}>Comments</label>
          <input id={`${id}-comments`} value={comments} onChange={(e) => setComments(e.target.value)} />
        </div>
        <ErrorNotice error={create.error} title="The user was not created" />
        <DialogButtons submit="OK" disabled={create.busy} onCancel={onClose} />
      </form>
    </Modal>
  );
}
