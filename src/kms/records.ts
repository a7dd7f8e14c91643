/**
 * What the KMS keeps in the MetadataStore's documents. Times are Unix milliseconds.
 * Secrets appear only sealed by the root key (aead.seal, purpose-specific AAD), base64.
 *
 *   kms.key          id = key id                     KeyRecord (state, rotation, aliases, tags)
 *   kms.key-version  id = `${keyId}/${versionId}`    VersionRecord (sealed material)
 *   kms.alias        id = alias name                 AliasRecord
 *   kms.import-token id = token id (hex)             ImportTokenRecord (sealed RSA private key)
 *
 * A key's versions are listed by scanning ids after `${keyId}/`; its aliases are also named in
 * its record, so that destroying a key removes them in the same transaction.
 */
import type { KeyOrigin, KeySpec, KeyState, WrappingAlgorithm } from './types';

export const KIND = {
  key: 'kms.key',
  version: 'kms.key-version',
  alias: 'kms.alias',
  importToken: 'kms.import-token',
} as const;

export interface KeyRecord {
  keyId: string;
  keySpec: KeySpec;
  origin: KeyOrigin;
  description: string;
  creator: string;
  createdAt: number;
  /** As last written; states.ts derives the state in force (material expiry). */
  state: KeyState;
  /** Set only while PendingDeletion. */
  deleteAt: number | null;
  primaryVersionId: string;
  lastRotationAt: number;
  /** Automatic rotation period in seconds; null = automatic rotation disabled. */
  rotationIntervalSec: number | null;
  aliases: string[];
  tags: Record<string, string>;
  /** EXTERNAL keys only. */
  byok: ByokState | null;
}

export interface ByokState {
  /** Keyed fingerprint (HMAC under a root-derived key) of the first imported material; re-imports must match it. */
  fingerprint: string | null;
  hasMaterial: boolean;
  /** null = never expires. */
  materialExpireAt: number | null;
}

export interface VersionRecord {
  keyId: string;
  versionId: string;
  createdAt: number;
  /** Sealed key material; null for an EXTERNAL key without imported material. */
  sealed: string | null;
}

export interface AliasRecord {
  aliasName: string;
  keyId: string;
}

export interface ImportTokenRecord {
  tokenId: string;
  keyId: string;
  algorithm: WrappingAlgorithm;
  expiresAt: number;
  /** PKCS#8 DER of the wrapping key pair's private key, sealed. */
  sealedPrivateKey: string;
  /** Failed unwraps so far; the token is revoked after a few (bounds any padding oracle). */
  failures: number;
}

export const versionDocId = (keyId: string, versionId: string): string => `${keyId}/${versionId}`;
