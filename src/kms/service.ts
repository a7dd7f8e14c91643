/**
 * The KMS service, HTTP-free. One method per KMS action, named exactly as the action, taking and
 * returning the wire-shaped objects of ./types (so src/kms/api can dispatch `service[Action]`),
 * plus the periodic sweeps and the service-managed key. Errors are CofferErrors carrying KMS
 * codes (reference §2.1). Where each action lives:
 *
 *   keys.ts        CreateKey DescribeKey ListKeys UpdateKeyDescription EnableKey DisableKey
 *                  ScheduleKeyDeletion CancelKeyDeletion, ensureServiceKey
 *   aliases.ts     CreateAlias UpdateAlias DeleteAlias ListAliases ListAliasesByKeyId
 *   crypto-ops.ts  Encrypt Decrypt ReEncrypt GenerateDataKey GenerateDataKeyWithoutPlaintext
 *   byok.ts        GetParametersForImport ImportKeyMaterial DeleteKeyMaterial
 *   versions.ts    CreateKeyVersion ListKeyVersions DescribeKeyVersion
 *   rotation.ts    UpdateRotationPolicy, rotateDueKeys
 *   tags.ts        TagResource UntagResource ListResourceTags
 *   states.ts      the key-state table (§4.1); key-store.ts storage, sealing, housekeeping
 *
 * Every call reads the key's current record from the store, so state changes made by any
 * process take effect at once; unsealed material is cached for 30 s (material-cache.ts).
 */
import * as aliases from './aliases';
import * as byok from './byok';
import * as crypto from './crypto-ops';
import { KeyStore, type KmsServiceOptions } from './key-store';
import * as keys from './keys';
import { KIND, type AliasRecord, type KeyRecord } from './records';
import * as rotation from './rotation';
import * as tags from './tags';
import type * as T from './types';
import * as versions from './versions';

export type { KmsServiceOptions } from './key-store';

export class KmsService {
  private readonly ks: KeyStore;

  constructor(options: KmsServiceOptions) {
    this.ks = new KeyStore(options);
  }

  // Key lifecycle
  CreateKey(req: T.CreateKeyRequest = {}): Promise<T.KeyMetadataResponse> {
    return keys.createKey(this.ks, req);
  }
  DescribeKey(req: T.KeyIdRequest): Promise<T.KeyMetadataResponse> {
    return keys.describeKey(this.ks, req);
  }
  ListKeys(req: T.PageRequest = {}): Promise<T.ListKeysResponse> {
    return keys.listKeys(this.ks, req);
  }
  UpdateKeyDescription(req: T.UpdateKeyDescriptionRequest): Promise<T.EmptyResponse> {
    return keys.updateKeyDescription(this.ks, req);
  }
  EnableKey(req: T.KeyIdRequest): Promise<T.EmptyResponse> {
    return keys.enableKey(this.ks, req);
  }
  DisableKey(req: T.KeyIdRequest): Promise<T.EmptyResponse> {
    return keys.disableKey(this.ks, req);
  }
  ScheduleKeyDeletion(req: T.ScheduleKeyDeletionRequest): Promise<T.EmptyResponse> {
    return keys.scheduleKeyDeletion(this.ks, req);
  }
  CancelKeyDeletion(req: T.KeyIdRequest): Promise<T.EmptyResponse> {
    return keys.cancelKeyDeletion(this.ks, req);
  }

  // Aliases
  CreateAlias(req: T.AliasRequest): Promise<T.EmptyResponse> {
    return aliases.createAlias(this.ks, req);
  }
  UpdateAlias(req: T.AliasRequest): Promise<T.EmptyResponse> {
    return aliases.updateAlias(this.ks, req);
  }
  DeleteAlias(req: T.DeleteAliasRequest): Promise<T.EmptyResponse> {
    return aliases.deleteAlias(this.ks, req);
  }
  ListAliases(req: T.PageRequest = {}): Promise<T.ListAliasesResponse> {
    return aliases.listAliases(this.ks, req);
  }
  ListAliasesByKeyId(req: T.ListAliasesByKeyIdRequest): Promise<T.ListAliasesResponse> {
    return aliases.listAliasesByKeyId(this.ks, req);
  }

  // Cryptographic operations
  Encrypt(req: T.EncryptRequest): Promise<T.CiphertextResponse> {
    return crypto.encrypt(this.ks, req);
  }
  Decrypt(req: T.DecryptRequest): Promise<T.DecryptResponse> {
    return crypto.decrypt(this.ks, req);
  }
  ReEncrypt(req: T.ReEncryptRequest): Promise<T.CiphertextResponse> {
    return crypto.reEncrypt(this.ks, req);
  }
  GenerateDataKey(req: T.GenerateDataKeyRequest): Promise<T.GenerateDataKeyResponse> {
    return crypto.generateDataKey(this.ks, req);
  }
  GenerateDataKeyWithoutPlaintext(req: T.GenerateDataKeyRequest): Promise<T.CiphertextResponse> {
    return crypto.generateDataKeyWithoutPlaintext(this.ks, req);
  }

  // BYOK
  GetParametersForImport(req: T.GetParametersForImportRequest): Promise<T.GetParametersForImportResponse> {
    return byok.getParametersForImport(this.ks, req);
  }
  ImportKeyMaterial(req: T.ImportKeyMaterialRequest): Promise<T.EmptyResponse> {
    return byok.importKeyMaterial(this.ks, req);
  }
  DeleteKeyMaterial(req: T.KeyIdRequest): Promise<T.EmptyResponse> {
    return byok.deleteKeyMaterial(this.ks, req);
  }

  // Versions and rotation
  CreateKeyVersion(req: T.KeyIdRequest): Promise<T.KeyVersionResponse> {
    return versions.createKeyVersion(this.ks, req);
  }
  DescribeKeyVersion(req: T.DescribeKeyVersionRequest): Promise<T.KeyVersionResponse> {
    return versions.describeKeyVersion(this.ks, req);
  }
  ListKeyVersions(req: T.ListKeyVersionsRequest): Promise<T.ListKeyVersionsResponse> {
    return versions.listKeyVersions(this.ks, req);
  }
  UpdateRotationPolicy(req: T.UpdateRotationPolicyRequest): Promise<T.EmptyResponse> {
    return rotation.updateRotationPolicy(this.ks, req);
  }

  // Tags
  TagResource(req: T.TagResourceRequest): Promise<T.EmptyResponse> {
    return tags.tagResource(this.ks, req);
  }
  UntagResource(req: T.UntagResourceRequest): Promise<T.EmptyResponse> {
    return tags.untagResource(this.ks, req);
  }
  ListResourceTags(req: T.KeyIdRequest): Promise<T.ListResourceTagsResponse> {
    return tags.listResourceTags(this.ks, req);
  }

  async DescribeRegions(): Promise<T.DescribeRegionsResponse> {
    return { Regions: { Region: [{ RegionId: this.ks.region }] } };
  }

  // Not KMS actions: used by the server and by src/core.

  /**
   * Destroys keys whose deletion window has passed (material, versions, aliases: their
   * ciphertexts become unrecoverable), drops imported material that expired, and removes stale
   * import tokens. The server runs it periodically; each key is also handled when next touched.
   * Returns how many keys were destroyed or lost expired material.
   */
  async purgeExpiredKeys(): Promise<number> {
    const count = await keys.housekeepExpiredKeys(this.ks);
    await byok.purgeExpiredImportTokens(this.ks);
    return count;
  }

  /** Rotates every key whose automatic rotation is due; returns how many. */
  rotateDueKeys(): Promise<number> {
    return rotation.rotateDueKeys(this.ks);
  }

  /** The id of the key behind a service alias (`alias/acs/…`, default the SSE-KMS key), created on first use. */
  ensureServiceKey(aliasName = 'alias/acs/oss'): Promise<string> {
    return keys.ensureServiceKey(this.ks, aliasName);
  }

  // What RAM policies see of keys and aliases (src/kms/access.ts).

  keyArn(keyId: string): string {
    return this.ks.keyArn(keyId);
  }

  aliasArn(aliasName: string): string {
    return this.ks.aliasArn(aliasName);
  }

  /** The container of all keys (ListKeys, CreateKey) or of all aliases (ListAliases). */
  containerArn(kind: 'key' | 'alias'): string {
    return `acs:kms:${this.ks.region}:${this.ks.accountId}:${kind}`;
  }

  /** The real key id behind a key id, alias name or ARN; Forbidden.AliasNotFound / KeyNotFound when there is none. */
  resolveKeyId(input: string): Promise<string> {
    return this.ks.resolveKeyId(input);
  }

  /** The key an alias points at, or null. */
  async aliasTarget(aliasName: string): Promise<string | null> {
    return (await this.ks.meta.getDoc<AliasRecord>(KIND.alias, aliasName))?.keyId ?? null;
  }

  /** A key's tags (empty for an unknown key). */
  async keyTags(keyId: string): Promise<Record<string, string>> {
    return (await this.ks.meta.getDoc<KeyRecord>(KIND.key, keyId))?.tags ?? {};
  }
}
