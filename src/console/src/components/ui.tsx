/** Small shared pieces: error notice, loading and empty states, page header, async hooks. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api';

const SOURCE_LABEL: Record<string, string> = { oss: 'OSS', kms: 'KMS', ram: 'RAM', admin: 'Admin API', console: 'Console' };

/** An error as the API gave it: code, message, request id. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'Error', error instanceof Error ? error.message : String(error));
  return (
    <div className="notice error" role="alert">
      {title && <strong className="notice-title">{title}</strong>}
      <p className="error-message">{e.message || e.code}</p>
      <p className="error-meta">
        <span>{SOURCE_LABEL[e.source] ?? e.source} error <code className="error-code">{e.code}</code></span>
        {e.requestId && <span> · Request ID <code className="error-request-id">{e.requestId}</code></span>}
      </p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="loading" role="status">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </header>
  );
}

export interface Loaded<T> { data: T | null; error: unknown; loading: boolean; reload: () => void }

/** Loads once per change of deps; reload() loads again. A stale answer (deps changed meanwhile) is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => { if (live) setState({ data, error: null, loading: false }); },
      (error: unknown) => { if (live) setState({ data: null, error, loading: false }); },
    );
    return () => { live = false; };
  }, [...deps, tick]); // the caller names what the load depends on
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export interface Action { busy: boolean; error: unknown; run: (fn: () => Promise<void>) => Promise<boolean>; clear: () => void }

/** One user action at a time: busy while it runs, its error kept for display. run() resolves true on success. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      if (mounted.current) setError(err);
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: useCallback(() => setError(null), []) };
}
