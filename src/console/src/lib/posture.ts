/** How the encryption posture's classes are named, grouped and coloured on the page. */
import type { EncryptionPostureView, PostureClassView, PostureCountsView } from '../types';

export interface Category { key: string; label: string; color: string }

/** Mode and data cipher: the chart's segments, in order. */
export const CATEGORIES: Category[] = [
  { key: 'None', label: 'None', color: '#c02b2b' },
  { key: 'SSE-OSS/AES256', label: 'SSE-OSS AES-256', color: '#1661c7' },
  { key: 'SSE-OSS/SM4', label: 'SSE-OSS SM4', color: '#6d9be6' },
  { key: 'SSE-KMS/AES256', label: 'SSE-KMS AES-256', color: '#1d7a46' },
  { key: 'SSE-KMS/SM4', label: 'SSE-KMS SM4', color: '#6fbf8f' },
  { key: 'SSE-C/AES256', label: 'SSE-C', color: '#7b4fb8' },
  { key: 'Symlink', label: 'Symlinks (no data)', color: '#aab4c0' },
  { key: 'Unknown', label: 'Unknown', color: '#555f6b' },
];

export const categoryOf = (c: Pick<PostureClassView, 'mode' | 'algorithm'>): string =>
  (c.mode === 'SSE-OSS' || c.mode === 'SSE-KMS' || c.mode === 'SSE-C' ? `${c.mode}/${c.algorithm ?? 'AES256'}` : c.mode);

export const categoryLabel = (c: Pick<PostureClassView, 'mode' | 'algorithm'>): string =>
  CATEGORIES.find((x) => x.key === categoryOf(c))?.label ?? c.mode;

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Objects with data (links aside) and those of them encrypted. */
export function encryptedShare(p: EncryptionPostureView): { objects: number; encrypted: number; bytes: number; encryptedBytes: number } {
  const out = { objects: 0, encrypted: 0, bytes: 0, encryptedBytes: 0 };
  for (const t of p.totals) {
    if (t.mode === 'Symlink') continue;
    out.objects += t.objects;
    out.bytes += t.bytes;
    if (t.mode !== 'None') {
      out.encrypted += t.objects;
      out.encryptedBytes += t.bytes;
    }
  }
  return out;
}

/** What depends on a KMS key, none when nothing does. */
export const kmsKeyUse = (p: EncryptionPostureView, keyId: string): PostureCountsView =>
  p.kmsKeys.find((k) => k.keyId === keyId) ?? { objects: 0, bytes: 0, multipartUploads: 0 };
