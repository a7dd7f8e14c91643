/**
 * Uploads a file through the console backend: one PUT up to PART_SIZE, else a multipart upload
 * with the file sliced in the page, each part sent as it is read, so neither side holds the file.
 */
import { api, qs, sendBlob, seg } from '../api';
import type { EncryptionChoice } from '../types';

/** 8 MiB parts: well above OSS's 100 KiB minimum, small enough for steady progress. */
export const PART_SIZE = 8 * 1024 * 1024;

/** The choice as upload fields; "None" sends no SSE headers, so the bucket's default applies. */
function sse(e: EncryptionChoice): EncryptionChoice | null {
  return e.method === 'None' ? null : e;
}

export async function uploadFile(
  bucket: string, key: string, file: File, encryption: EncryptionChoice, onProgress: (sent: number) => void,
): Promise<void> {
  const base = `/api/buckets/${seg(bucket)}`;
  const choice = sse(encryption);
  if (file.size <= PART_SIZE) {
    await sendBlob('PUT', `${base}/object${qs({ key, ...(choice ?? {}) })}`, file, file.type, onProgress);
    onProgress(file.size);
    return;
  }
  const { uploadId } = await api<{ uploadId: string }>('POST', `${base}/multipart`, { key, contentType: file.type, encryption: choice });
  try {
    const parts: { number: number; etag: string }[] = [];
    for (let start = 0, number = 1; start < file.size; start += PART_SIZE, number++) {
      const slice = file.slice(start, Math.min(start + PART_SIZE, file.size));
      const { etag } = await sendBlob<{ etag: string }>(
        'PUT', `${base}/multipart/${seg(uploadId)}/${number}${qs({ key })}`, slice, '', (sent) => onProgress(start + sent),
      );
      parts.push({ number, etag });
    }
    await api('POST', `${base}/multipart/${seg(uploadId)}/complete`, { key, parts });
    onProgress(file.size);
  } catch (err) {
    // Leave no parts behind; the upload's own error is the one to show.
    await api('DELETE', `${base}/multipart/${seg(uploadId)}${qs({ key })}`).catch(() => undefined);
    throw err;
  }
}
