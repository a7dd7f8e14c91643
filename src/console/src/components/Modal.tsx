/**
 * A modal panel on the native <dialog>: the browser traps focus inside, Escape closes it, and
 * focus returns to where it was.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal wide' : 'modal'}
      aria-labelledby={titleId}
      onCancel={(e) => { e.preventDefault(); onClose(); }}
    >
      <header className="modal-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" aria-label="Close dialog" onClick={onClose}>×</button>
      </header>
      <div className="modal-body">{children}</div>
    </dialog>
  );
}

/**
 * Asks before an irreversible action. With typeToConfirm the user types that name first (deleting
 * a bucket names the bucket, as the OSS console does).
 */
export function ConfirmDialog({ title, children, confirmLabel, typeToConfirm, busy, error, onConfirm, onCancel }: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  typeToConfirm?: string;
  busy?: boolean;
  error?: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const ready = !typeToConfirm || typed === typeToConfirm;
  return (
    <Modal title={title} onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); if (ready) onConfirm(); }}>
        <div className="confirm-text">{children}</div>
        {typeToConfirm && (
          <div className="field">
            <label htmlFor={inputId}>Type <strong>{typeToConfirm}</strong> to confirm</label>
            <input id={inputId} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" autoFocus />
          </div>
        )}
        {error}
        <DialogButtons submit={busy ? 'Working…' : confirmLabel} danger disabled={!ready || !!busy} onCancel={onCancel} />
      </form>
    </Modal>
  );
}

/** A dialog form's buttons: its submit button, then Cancel. */
export function DialogButtons({ submit, disabled, danger, onCancel }: { submit: string; disabled: boolean; danger?: boolean; onCancel: () => void }) {
  return (
    <div className="form-actions">
      <button type="submit" className={danger ? 'danger' : 'primary'} disabled={disabled}>{submit}</button>
      <button type="button" onClick={onCancel}>Cancel</button>
    </div>
  );
}
