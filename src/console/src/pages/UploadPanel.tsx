/** Upload files: drop them or pick them, choose their encryption, watch each one's progress. */
import { useId, useState, type DragEvent } from 'react';
import { EncryptionFields, useKeys } from '../components/EncryptionFields';
import { Modal } from '../components/Modal';
import { ErrorNotice } from '../components/ui';
import { bytes } from '../format';
import { uploadFile } from '../lib/upload';
import type { EncryptionChoice } from '../types';

interface Item { file: File; sent: number; state: 'waiting' | 'uploading' | 'done' | 'failed'; error?: unknown }

export function UploadPanel({ bucket, prefix, onClose }: { bucket: string; prefix: string; onClose: () => void }) {
  const id = useId();
  const keys = useKeys();
  const [items, setItems] = useState<Item[]>([]);
  const [encryption, setEncryption] = useState<EncryptionChoice>({ method: 'None', algorithm: 'AES256' });
  const [running, setRunning] = useState(false);
  const [over, setOver] = useState(false);

  const add = (files: FileList | null): void => {
    // Copied now: the input's FileList empties when the input is reset for the next pick.
    const added = Array.from(files ?? [], (file): Item => ({ file, sent: 0, state: 'waiting' }));
    if (added.length) setItems((list) => [...list, ...added]);
  };
  const update = (i: number, patch: Partial<Item>): void => setItems((list) => list.map((it, j) => (j === i ? { ...it, ...patch } : it)));

  const start = async (): Promise<void> => {
    setRunning(true);
    for (let i = 0; i < items.length; i++) {
      if (items[i].state === 'done') continue;
      update(i, { state: 'uploading', sent: 0, error: undefined });
      try {
        await uploadFile(bucket, prefix + items[i].file.name, items[i].file, encryption, (sent) => update(i, { sent }));
        update(i, { state: 'done' });
      } catch (error) {
        update(i, { state: 'failed', error });
      }
    }
    setRunning(false);
  };

  const drop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    setOver(false);
    add(e.dataTransfer.files);
  };

  return (
    <Modal title="Upload" onClose={() => { if (!running) onClose(); }} wide>
      <p>Uploading to <strong>{bucket}/{prefix}</strong></p>
      <div
        className={over ? 'dropzone over' : 'dropzone'} data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={drop}
      >
        <p>Drag files here, or</p>
        <label className="button" htmlFor={`${id}-files`}>Select files</label>
        <input id={`${id}-files`} className="sr-only" type="file" multiple onChange={(e) => { add(e.target.files); e.target.value = ''; }} />
      </div>
      <h3>Encryption of these uploads</h3>
      <EncryptionFields value={encryption} onChange={setEncryption} keys={keys} forUpload />
      {items.length > 0 && (
        <ul className="uploads" aria-label="Files to upload">
          {items.map((it, i) => (
            <li key={`${it.file.name}-${i}`} data-file={it.file.name} className={it.state}>
              <span className="upload-name">{it.file.name}</span>
              <span className="upload-size">{bytes(it.file.size)}</span>
              <progress max={it.file.size || 1} value={it.state === 'done' ? it.file.size || 1 : it.sent} aria-label={`Upload of ${it.file.name}`} />
              <span className="upload-state" role="status">
                {it.state === 'uploading' ? `${Math.floor((100 * it.sent) / (it.file.size || 1))}%` : it.state}
              </span>
              {it.state === 'failed' && <ErrorNotice error={it.error} title={`${it.file.name} was not uploaded`} />}
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button
          type="button" className="primary" onClick={() => void start()}
          disabled={running || !items.some((it) => it.state !== 'done')}
        >
          {running ? 'Uploading…' : 'Upload'}
        </button>
        <button type="button" onClick={onClose} disabled={running}>Close</button>
      </div>
    </Modal>
  );
}
