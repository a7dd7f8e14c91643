/** The Create Bucket panel: name, ACL, and the bucket's default encryption (set on the PutBucket request itself). */
import { useId, useState } from 'react';
import { api } from '../api';
import { EncryptionFields } from '../components/EncryptionFields';
import { DialogButtons, Modal } from '../components/Modal';
import { ErrorNotice, useAction, type Loaded } from '../components/ui';
import type { EncryptionChoice, KeyRow } from '../types';

const ACLS = [
  { value: 'private', label: 'Private' },
  { value: 'public-read', label: 'Public Read' },
  { value: 'public-read-write', label: 'Public Read/Write' },
];

export function CreateBucketPanel({ keys, onClose, onCreated }: { keys: Loaded<KeyRow[]>; onClose: () => void; onCreated: (name: string) => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [acl, setAcl] = useState('private');
  const [encryption, setEncryption] = useState<EncryptionChoice>({ method: 'None', algorithm: 'AES256' });
  const create = useAction();
  return (
    <Modal title="Create Bucket" onClose={onClose} wide>
      <form onSubmit={(e) => {
        e.preventDefault();
        void create.run(async () => {
          await api('POST', '/api/buckets', { name, acl, encryption });
          onCreated(name);
        });
      }}
      >
        <div className="field">
          <label htmlFor={`${id}-name`}>Bucket Name</label>
          <input
            id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required autoFocus
            pattern="[a-z0-9][a-z0-9-]{1,61}[a-z0-9]" aria-describedby={`${id}-name-hint`}
          />
          <p className="hint" id={`${id}-name-hint`}>3 to 63 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit.</p>
        </div>
        <fieldset className="field">
          <legend>ACL</legend>
          <div className="radios">
            {ACLS.map((a) => (
              <label key={a.value}>
                <input type="radio" name={`${id}-acl`} value={a.value} checked={acl === a.value} onChange={() => setAcl(a.value)} />
                {a.label}
              </label>
            ))}
          </div>
        </fieldset>
        <EncryptionFields value={encryption} onChange={setEncryption} keys={keys} />
        <ErrorNotice error={create.error} title="The bucket was not created" />
        <DialogButtons submit={create.busy ? 'Creating…' : 'OK'} disabled={create.busy} onCancel={onClose} />
      </form>
    </Modal>
  );
}
