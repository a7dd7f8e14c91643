/** How values are shown. */
import type { EncryptionChoice, KeyRow } from './types';

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function date(value: string | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toLocaleString();
}

export const ALGORITHM_LABEL: Record<EncryptionChoice['algorithm'], string> = { AES256: 'AES-256', SM4: 'SM4' };
export const METHOD_LABEL: Record<EncryptionChoice['method'], string> = { None: 'None', OSS: 'OSS-Managed', KMS: 'KMS' };

/** The managed CMK's alias: SSE-KMS without a key id uses it. */
export const MANAGED_ALIAS = 'alias/acs/oss';

/** A CMK as the OSS console shows it: alias(CMK id), or the id alone when it has no alias. */
export function cmkLabel(keyId: string | undefined, keys: KeyRow[] | null): string {
  if (!keyId) {
    const managed = keys?.find((k) => k.aliases.includes(MANAGED_ALIAS));
    return managed ? `${MANAGED_ALIAS}(${managed.keyId})` : MANAGED_ALIAS;
  }
  const alias = keys?.find((k) => k.keyId === keyId)?.aliases[0];
  return alias ? `${alias}(${keyId})` : keyId;
}

/** One line: "KMS, AES-256, alias/x(id)", "OSS-Managed, SM4", "None". */
export function encryptionSummary(e: EncryptionChoice, keys: KeyRow[] | null = null): string {
  if (e.method === 'None') return 'None';
  const base = `${METHOD_LABEL[e.method]}, ${ALGORITHM_LABEL[e.algorithm]}`;
  return e.method === 'KMS' ? `${base}, CMK ${cmkLabel(e.kmsKeyId, keys)}` : base;
}
