/**
 * The console's client of its backend (/api/…): JSON in and out, the session's CSRF token on every
 * state-changing request, and errors carrying what the OSS / KMS / RAM API said.
 */

import { ApiError, type ErrorSource } from '../../console-server/contract';

export { ApiError, type ErrorSource };

export interface Identity {
  kind: 'root' | 'user';
  accountId: string;
  accessKeyId: string;
  userName?: string;
}

export interface SessionInfo {
  identity: Identity;
  csrfToken: string;
  region: string;
  idleTimeoutMs: number;
}

let csrfToken = '';
let onLoggedOut: (() => void) | null = null;

/** Called with each session the backend hands out (login, reload). */
export function adoptSession(s: SessionInfo | null): void {
  csrfToken = s?.csrfToken ?? '';
}

/** What to do when the backend says the session is gone (expired, or logged out elsewhere). */
export function onSessionLost(fn: () => void): void {
  onLoggedOut = fn;
}

type ErrorBody = { error?: { status?: number; code?: string; message?: string; source?: ErrorSource; requestId?: string } };

function toError(status: number, body: ErrorBody | null): ApiError {
  const e = body?.error;
  // Only a session the page held can be lost; before login, 401 is the normal answer.
  if (status === 401 && e?.code === 'NotLoggedIn' && csrfToken) onLoggedOut?.();
  return new ApiError(status, e?.code ?? `HTTP${status}`, e?.message ?? `The console backend answered ${status}.`, e?.source ?? 'console', e?.requestId);
}

const headersFor = (method: string, json: boolean): Record<string, string> => ({
  ...(json ? { 'Content-Type': 'application/json' } : {}),
  ...(method === 'GET' ? {} : { 'X-CSRF-Token': csrfToken }),
});

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headersFor(method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'The console backend could not be reached.');
  }
  const parsed = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) throw toError(res.status, parsed as ErrorBody | null);
  return parsed as T;
}

/**
 * Sends a file or a slice of one as the raw body, reporting bytes sent: XMLHttpRequest, because
 * fetch has no upload progress.
 */
export function sendBlob<T>(method: 'PUT', path: string, blob: Blob, contentType: string, onProgress: (sent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [k, v] of Object.entries(headersFor(method, false))) xhr.setRequestHeader(k, v);
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', 'The upload was interrupted.'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as T);
      else reject(toError(xhr.status, xhr.response as ErrorBody | null));
    };
    xhr.send(blob);
  });
}

/** Path segment encoding for names inside /api/ paths. */
export const seg = encodeURIComponent;

/** A query string from defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Downloads an object: first asks the backend whether the session may read it (a refusal throws
 * the API's error, for the page to show), then lets the browser fetch it as a file, streamed.
 */
/** Downloads the object (or with `versionId` that version of it) through the browser. */
export async function downloadObject(bucket: string, key: string, versionId?: string): Promise<void> {
  const query = qs({ key, versionId });
  await api('GET', `/api/buckets/${seg(bucket)}/object/readable${query}`);
  const a = document.createElement('a');
  a.href = `/api/buckets/${seg(bucket)}/object/content${query}`;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}
