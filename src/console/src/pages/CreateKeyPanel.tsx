/** Create a key: description, alias, key spec, key material source (Alibaba Cloud KMS or External), rotation. */
import { useId, useState } from 'react';
import { api } from '../api';
import { DialogButtons, Modal } from '../components/Modal';
import { ErrorNotice, useAction } from '../components/ui';

export function CreateKeyPanel({ onClose, onCreated }: { onClose: () => void; onCreated: (keyId: string) => void }) {
  const id = useId();
  const [description, setDescription] = useState('');
  const [aliasName, setAlias] = useState('');
  const [keySpec, setSpec] = useState('Aliyun_AES_256');
  const [origin, setOrigin] = useState<'Aliyun_KMS' | 'EXTERNAL'>('Aliyun_KMS');
  const [rotate, setRotate] = useState(false);
  const [days, setDays] = useState(365);
  const create = useAction();
  const canRotate = origin === 'Aliyun_KMS';
  return (
    <Modal title="Create Key" onClose={onClose} wide>
      <form onSubmit={(e) => {
        e.preventDefault();
        void create.run(async () => {
          const { keyId } = await api<{ keyId: string }>('POST', '/api/kms/keys', {
            description, aliasName, keySpec, origin,
            enableAutomaticRotation: canRotate && rotate, rotationInterval: canRotate && rotate ? `${days}d` : undefined,
          });
          onCreated(keyId);
        });
      }}
      >
        <div className="field">
          <label htmlFor={`${id}-alias`}>Alias (optional)</label>
          <input id={`${id}-alias`} value={aliasName} onChange={(e) => setAlias(e.target.value)} placeholder="alias/my-key" autoFocus aria-describedby={`${id}-alias-hint`} />
          <p className="hint" id={`${id}-alias-hint`}>Shown in CMK selectors as alias(CMK id). The alias/ prefix is added if left out.</p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-desc`}>Description</label>
          <input id={`${id}-desc`} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-spec`}>Key Spec</label>
          <select id={`${id}-spec`} value={keySpec} onChange={(e) => setSpec(e.target.value)}>
            <option value="Aliyun_AES_256">Aliyun_AES_256</option>
            <option value="Aliyun_SM4">Aliyun_SM4</option>
          </select>
        </div>
        <fieldset className="field">
          <legend>Key Material Source</legend>
          <div className="radios">
            <label><input type="radio" name={`${id}-origin`} checked={origin === 'Aliyun_KMS'} onChange={() => setOrigin('Aliyun_KMS')} /> Alibaba Cloud KMS</label>
            <label><input type="radio" name={`${id}-origin`} checked={origin === 'EXTERNAL'} onChange={() => setOrigin('EXTERNAL')} /> External (import key material)</label>
          </div>
          {origin === 'EXTERNAL' && <p className="hint">The key is created without material (Pending Import). Import yours on the key&apos;s page.</p>}
        </fieldset>
        <fieldset className="field" disabled={!canRotate}>
          <legend>Automatic Rotation</legend>
          <label><input type="checkbox" checked={canRotate && rotate} onChange={(e) => setRotate(e.target.checked)} /> Rotate the key material automatically</label>
          {canRotate && rotate && (
            <div className="field inline">
              <label htmlFor={`${id}-days`}>Rotation period (days, 7–365)</label>
              <input id={`${id}-days`} type="number" min={7} max={365} value={days} onChange={(e) => setDays(Number(e.target.value))} required />
            </div>
          )}
          {!canRotate && <p className="hint">External keys do not rotate automatically.</p>}
        </fieldset>
        <ErrorNotice error={create.error} title="The key was not created" />
        <DialogButtons submit={create.busy ? 'Creating…' : 'OK'} disabled={create.busy} onCancel={onClose} />
      </form>
    </Modal>
  );
}
