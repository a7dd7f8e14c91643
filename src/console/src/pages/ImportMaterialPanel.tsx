/**
 * Import key material into an External key. The page gets a one-time wrapping key from
 * GetParametersForImport, wraps the material with WebCrypto RSA-OAEP (SHA-256), and sends only
 * the wrapped material and the import token: the material itself never leaves the browser.
 */
import { useId, useState } from 'react';
import { api, seg } from '../api';
import { Modal } from '../components/Modal';
import { ErrorNotice, useAction } from '../components/ui';
import { MATERIAL_BYTES, generateMaterial, wrapMaterial } from '../lib/wrap';

export function ImportMaterialPanel({ keyId, keySpec, onClose, onImported }: { keyId: string; keySpec: string; onClose: () => void; onImported: () => void }) {
  const id = useId();
  const [source, setSource] = useState<'generate' | 'file'>('generate');
  const [file, setFile] = useState<File | null>(null);
  const [expires, setExpires] = useState('');
  const [step, setStep] = useState('');
  const imp = useAction();
  const size = MATERIAL_BYTES[keySpec];

  const run = (): Promise<boolean> => imp.run(async () => {
    let material: Uint8Array<ArrayBuffer>;
    if (source === 'file') {
      if (!file) throw new Error('Choose the file holding the key material.');
      material = new Uint8Array(await file.arrayBuffer());
      if (material.length !== size) throw new Error(`A ${keySpec} key takes exactly ${size} bytes of material; the file has ${material.length}.`);
    } else {
      material = generateMaterial(keySpec);
    }
    try {
      setStep('Getting the wrapping key…');
      const params = await api<{ publicKey: string; importToken: string }>('POST', `/api/kms/keys/${seg(keyId)}/import-parameters`);
      setStep('Wrapping the material in this page…');
      const encryptedKeyMaterial = await wrapMaterial(params.publicKey, material);
      setStep('Importing…');
      await api('POST', `/api/kms/keys/${seg(keyId)}/import`, {
        encryptedKeyMaterial, importToken: params.importToken,
        keyMaterialExpireUnix: expires ? Math.floor(new Date(expires).getTime() / 1000) : 0,
      });
    } finally {
      // The plaintext material is not kept in page memory longer than the wrapping needs it.
      material.fill(0);
      setStep('');
    }
    onImported();
  });

  return (
    <Modal title="Import key material" onClose={onClose} wide>
      <form onSubmit={(e) => { e.preventDefault(); void run(); }}>
        <p>
          Key <code>{keyId}</code> ({keySpec}) takes {size} bytes of material. It is wrapped here, in your browser, with a
          one-time RSA-2048 public key from KMS (RSAES_OAEP_SHA_256); only the wrapped material is sent.
          Keep a copy of material you bring: KMS cannot give it back, and re-importing needs the same material.
        </p>
        <fieldset className="field">
          <legend>Key material</legend>
          <div className="radios column">
            <label><input type="radio" name={`${id}-src`} checked={source === 'generate'} onChange={() => setSource('generate')} /> Generate random material in this page</label>
            <label><input type="radio" name={`${id}-src`} checked={source === 'file'} onChange={() => setSource('file')} /> From a file (raw binary, {size} bytes)</label>
          </div>
        </fieldset>
        {source === 'file' && (
          <div className="field">
            <label htmlFor={`${id}-file`}>Material file</label>
            <input id={`${id}-file`} type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-expires`}>Material expires (optional; empty: never)</label>
          <input id={`${id}-expires`} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        {step && <p role="status">{step}</p>}
        <ErrorNotice error={imp.error} title="The material was not imported" />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={imp.busy}>{imp.busy ? 'Importing…' : 'Import'}</button>
          <button type="button" onClick={onClose} disabled={imp.busy}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}
