/**
 * Accounting of KMS use: every call, from the KMS API or from the object server's SSE-KMS data
 * path, is counted per action, key and outcome (metrics; KMS calls are billed in Alibaba Cloud)
 * and written to the cluster-wide audit trail: one record per key use or key change, never key
 * material.
 */
import { isCofferError } from '../common/errors';
import type { Principal } from '../common/principal';
import type { Metrics } from '../common/metrics';
import type { AuditTrail } from './audit-trail';

export interface KmsCallOrigin {
  principal: Principal;
  /** 'api': a KMS API request; 'oss': the object server encrypting or decrypting an object. */
  via: 'api' | 'oss';
  bucket?: string;
  object?: string;
}

export const KMS_CALLS = 'coffer_kms_calls_total';

const identity = (p: Principal): string =>
  p.kind === 'anonymous' ? 'anonymous' : p.kind === 'root' ? `root:${p.accountId}` : `user:${p.userName}`;

export class KmsAccounting {
  constructor(private readonly metrics: Metrics, private readonly audit: AuditTrail | null) {
    metrics.counter(KMS_CALLS, 'KMS calls by action, key and outcome');
  }

  /** Runs one KMS call and accounts for it; keyHint names the key when the result does not. */
  async record<T>(action: string, keyHint: string | undefined, origin: KmsCallOrigin, call: () => Promise<T>): Promise<T> {
    let outcome = 'ok';
    let result: T | undefined;
    try {
      result = await call();
      return result;
    } catch (err) {
      outcome = isCofferError(err) ? err.code : 'InternalFailure';
      throw err;
    } finally {
      const r = (result ?? {}) as { KeyId?: unknown; KeyVersionId?: unknown; KeyMetadata?: { KeyId?: unknown } };
      const keyId = String(r.KeyId ?? r.KeyMetadata?.KeyId ?? keyHint ?? '');
      this.metrics.inc(KMS_CALLS, { action, key: keyId, outcome, via: origin.via });
      if (this.audit) {
        // Committed before the call's result is used: a crash cannot lose the record of a key use.
        await this.audit.append({
          time: new Date().toISOString(), identity: identity(origin.principal), action, keyId,
          keyVersionId: r.KeyVersionId === undefined ? undefined : String(r.KeyVersionId),
          via: origin.via, bucket: origin.bucket, object: origin.object, outcome,
        });
      }
    }
  }
}
