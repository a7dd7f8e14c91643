/**
 * CreateKeyVersion, DescribeKeyVersion, ListKeyVersions (reference §3.5).
 *
 * Coffer permits CreateKeyVersion on symmetric Aliyun_KMS keys — manual rotation on demand —
 * although Alibaba documents it for asymmetric keys only: it adds a version with fresh material,
 * makes it primary for new encryptions, and resets the automatic-rotation clock
 * (LastRotationDate). Older versions keep decrypting. EXTERNAL keys have exactly one version.
 */
import { pageOf } from '../store/docs';
import { keyVersionNotFound } from './errors';
import type { KeyStore } from './key-store';
import { pageParams, requireString } from './params';
import { isoDate } from '../rpc';
import { KIND, versionDocId, type VersionRecord } from './records';
import { refuseExternalRotation } from './rotation';
import type {
  DescribeKeyVersionRequest,
  KeyIdRequest,
  KeyVersion,
  KeyVersionResponse,
  ListKeyVersionsRequest,
  ListKeyVersionsResponse,
} from './types';

const keyVersion = (v: VersionRecord): KeyVersion =>
  ({ KeyId: v.keyId, KeyVersionId: v.versionId, CreationDate: isoDate(v.createdAt) });

export async function createKeyVersion(ks: KeyStore, req: KeyIdRequest): Promise<KeyVersionResponse> {
  const now = ks.now();
  const version = await ks.update(req.KeyId, 'CreateKeyVersion', now, (rec, tx) => {
    refuseExternalRotation(rec);
    return ks.addVersion(tx, rec, now, ks.randomMaterial(rec.keySpec));
  });
  return { KeyVersion: keyVersion(version) };
}

export async function describeKeyVersion(ks: KeyStore, req: DescribeKeyVersionRequest): Promise<KeyVersionResponse> {
  const versionId = requireString(req.KeyVersionId, 'KeyVersionId');
  const rec = await ks.load(req.KeyId, 'DescribeKeyVersion', ks.now());
  const version = await ks.meta.getDoc<VersionRecord>(KIND.version, versionDocId(rec.keyId, versionId));
  if (!version) throw keyVersionNotFound(rec.keyId, versionId);
  return { KeyVersion: keyVersion(version) };
}

/** Oldest first. */
export async function listKeyVersions(ks: KeyStore, req: ListKeyVersionsRequest): Promise<ListKeyVersionsResponse> {
  const { pageNumber, pageSize } = pageParams(req);
  const rec = await ks.load(req.KeyId, 'ListKeyVersions', ks.now());
  const versions = await ks.versions(ks.meta, rec.keyId);
  return {
    KeyVersions: { KeyVersion: (await pageOf(versions, pageNumber, pageSize)).map(keyVersion) },
    TotalCount: versions.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
  };
}
