/**
 * Server (account root): status, the SSE-OSS master-key versions, rotation, and the rewrap that
 * re-seals object keys under the current version, stepwise with progress. The same admin API as
 * `coffer admin status|rotate-master-key|rewrap-master-keys`.
 */
import { useEffect, useId, useState } from 'react';
import { api } from '../api';
import { ConfirmDialog } from '../components/Modal';
import { ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { bytes, date } from '../format';
import type { RewrapStepView, ServerStatusView } from '../types';

interface RewrapProgress { version: number; scanned: number; rewrapped: number; uploadsRewrapped: number; finished: boolean }

export function ServerPage() {
  const id = useId();
  const status = useLoad(() => api<{ status: ServerStatusView }>('GET', '/api/admin/status'), []);
  const rotate = useAction();
  const rewrap = useAction();
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [progress, setProgress] = useState<RewrapProgress | null>(null);
  const s = status.data?.status;
  const current = s?.masterKeys.find((k) => k.current)?.version;
  // /server#rewrap (the Encryption posture page's link): the rewrap section, once it is there.
  useEffect(() => {
    if (s && window.location.hash === '#rewrap') document.getElementById('rewrap')?.scrollIntoView({ block: 'start' });
  }, [s]);

  const runRewrap = (): Promise<boolean> => rewrap.run(async () => {
    let p: RewrapProgress = { version: current ?? 0, scanned: 0, rewrapped: 0, uploadsRewrapped: 0, finished: false };
    setProgress(p);
    let marker: string | null = null;
    do {
      const step: RewrapStepView = await api('POST', '/api/admin/master-keys/rewrap', { marker });
      marker = step.nextMarker;
      p = {
        version: step.masterKeyVersion,
        scanned: p.scanned + step.objectsScanned,
        rewrapped: p.rewrapped + step.objectsRewrapped,
        uploadsRewrapped: p.uploadsRewrapped + step.uploadsRewrapped,
        finished: marker === null,
      };
      setProgress(p);
    } while (marker);
  });

  return (
    <section>
      <PageHeader title="Server">
        <button type="button" onClick={status.reload}>Refresh</button>
      </PageHeader>
      <ErrorNotice error={status.error} title="The server status could not be read" />
      {status.loading && !s && <Loading what="the server status" />}
      {s && (
        <>
          <dl className="props" aria-label="Server status">
            <dt>Version</dt><dd>Coffer {s.serverVersion}</dd>
            <dt>Up since</dt><dd>{date(s.startTime)}</dd>
            <dt>Buckets</dt><dd data-field="status-buckets">{s.buckets}</dd>
            <dt>Objects</dt><dd data-field="status-objects">{s.objects} ({bytes(s.bytes)})</dd>
            <dt>Multipart uploads in progress</dt><dd>{s.multipartUploads}</dd>
          </dl>

          <section className="panel" aria-labelledby={`${id}-keys`}>
            <div className="section-header">
              <h2 id={`${id}-keys`}>SSE-OSS master keys</h2>
              <button type="button" disabled={rotate.busy} onClick={() => { rotate.clear(); setConfirmRotate(true); }}>Rotate master key</button>
            </div>
            <p className="hint">
              Every SSE-OSS (AES-256 or SM4) object has its own key, sealed by a master key version. New objects use the
              current version; older versions stay to open what they sealed.
            </p>
            <table className="list" aria-label="Master key versions">
              <thead><tr><th scope="col">Version</th><th scope="col">Created</th><th scope="col">State</th></tr></thead>
              <tbody>
                {s.masterKeys.map((k) => (
                  <tr key={k.version}>
                    <th scope="row">{k.version}</th>
                    <td>{date(k.createdAt)}</td>
                    <td data-field={k.current ? 'current-version' : undefined}>{k.current ? 'Current' : 'Opens older objects'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section className="panel" id="rewrap" aria-labelledby={`${id}-rewrap`}>
            <h2 id={`${id}-rewrap`}>Re-seal object keys</h2>
            <p>
              After a rotation, re-seal the keys of objects that older versions sealed under version <strong>{current}</strong>.
              Only each object&apos;s sealed key changes: no data is read or rewritten, and ETag, CRC-64 and Last-Modified stay.
              Afterwards no object depends on the older versions.
            </p>
            <button type="button" disabled={rewrap.busy} onClick={() => void runRewrap()}>{rewrap.busy ? 'Re-sealing…' : 'Re-seal object keys'}</button>
            {progress && (
              <div className="progress-block">
                <progress max={Math.max(s.objects, 1)} value={progress.finished ? Math.max(s.objects, 1) : Math.min(progress.scanned, s.objects)} aria-label="Re-seal progress" />
                <p role="status" data-field="rewrap-status">
                  {progress.finished
                    ? `Done: ${progress.rewrapped} of ${progress.scanned} object${progress.scanned === 1 ? '' : 's'} re-sealed under version ${progress.version}` +
                      `${progress.uploadsRewrapped ? `, and ${progress.uploadsRewrapped} unfinished upload(s)` : ''}.`
                    : `${progress.scanned} of ${s.objects} objects looked at, ${progress.rewrapped} re-sealed…`}
                </p>
              </div>
            )}
            <ErrorNotice error={rewrap.error} title="Re-sealing stopped" />
          </section>
        </>
      )}
      {confirmRotate && (
        <ConfirmDialog
          title="Rotate the master key" confirmLabel="Rotate" busy={rotate.busy}
          error={<ErrorNotice error={rotate.error} title="The master key was not rotated" />}
          onCancel={() => setConfirmRotate(false)}
          onConfirm={() => void rotate.run(async () => {
            await api('POST', '/api/admin/master-keys/rotate', {});
            setConfirmRotate(false);
            setProgress(null);
            status.reload();
          })}
        >
          <p>Add master key version <strong>{(current ?? 0) + 1}</strong> and make it current? New objects use it; stored objects stay readable.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
