/**
 * Accounting of KMS use: every call, from the KMS API or from the object server's SSE-KMS data
 * path, is counted per action and outcome (metrics; KMS calls are billed in Alibaba Cloud), timed,
 * and written to the cluster-wide audit trail: one record per key use or key change, never key
 * material. Key ids go into the metrics' labels only when asked for (--metrics-key-ids): they
 * name customers' keys to whoever reads /metrics, and each key is another series.
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
export const KMS_CALL_DURATION = 'coffer_kms_call_duration_seconds';

const identity = (p: Principal): string =>
  p.kind === 'anonymous' ? 'anonymous' : p.kind === 'root' ? `root:${p.accountId}` : `user:${p.userName}`;

export interface KmsAccountingOptions {
  /** Label coffer_kms_calls_total with the key id (--metrics-key-ids); without, there is no key label. */
  keyIdsInMetrics?: boolean;
}

export class KmsAccounting {
  private readonly keyIds: boolean;

  constructor(private readonly metrics: Metrics, private readonly audit: AuditTrail | null, opts: KmsAccountingOptions = {}) {
    this.keyIds = opts.keyIdsInMetrics ?? false;
    metrics.counter(KMS_CALLS, 'KMS calls by action, key (with --metrics-key-ids only), outcome and origin (via: api or oss)', ['action', 'key', 'outcome', 'via']);
    metrics.histogram(KMS_CALL_DURATION, 'KMS call duration in seconds (the call itself, not its audit record) by action, outcome and origin', ['action', 'outcome', 'via']);
  }

  /** Runs one KMS call and accounts for it; keyHint names the key when the result does not. */
  async record<T>(action: string, keyHint: string | undefined, origin: KmsCallOrigin, call: () => Promise<T>): Promise<T> {
    let outcome = 'ok';
    let result: T | undefined;
    const started = performance.now();
    try {
      result = await call();
      return result;
    } catch (err) {
      outcome = isCofferError(err) ? err.code : 'InternalFailure';
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const r = (result ?? {}) as { KeyId?: unknown; KeyVersionId?: unknown; KeyMetadata?: { KeyId?: unknown } };
      const keyId = String(r.KeyId ?? r.KeyMetadata?.KeyId ?? keyHint ?? '');
      this.metrics.inc(KMS_CALLS, this.keyIds ? { action, key: keyId, outcome, via: origin.via } : { action, outcome, via: origin.via });
      this.metrics.observe(KMS_CALL_DURATION, { action, outcome, via: origin.via }, seconds);
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
