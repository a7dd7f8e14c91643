/**
 * Encryption Method (None / OSS-Managed / KMS), Encryption Algorithm (AES-256 / SM4) and CMK, as
 * the OSS console's Create Bucket panel and Server-side Encryption page show them. For an upload,
 * "None" means "the bucket's default" (a write without SSE headers gets the bucket rule).
 */
import { useId } from 'react';
import { api } from '../api';
import { ALGORITHM_LABEL, MANAGED_ALIAS, cmkLabel } from '../format';
import type { EncryptionChoice, KeyRow } from '../types';
import { ErrorNotice, useLoad, type Loaded } from './ui';

/** Enabled keys with their aliases, for the CMK selector (one page of 100: a self-hosted KMS rarely has more). */
export function useKeys(): Loaded<KeyRow[]> {
  return useLoad(async () => (await api<{ keys: KeyRow[] }>('GET', '/api/kms/keys?pageSize=100')).keys, []);
}

const METHODS: { value: EncryptionChoice['method']; label: string; uploadLabel: string }[] = [
  { value: 'None', label: 'None', uploadLabel: 'Bucket default' },
  { value: 'OSS', label: 'OSS-Managed', uploadLabel: 'OSS-Managed' },
  { value: 'KMS', label: 'KMS', uploadLabel: 'KMS' },
];

export function EncryptionFields({ value, onChange, keys, forUpload }: {
  value: EncryptionChoice;
  onChange: (v: EncryptionChoice) => void;
  keys: Loaded<KeyRow[]>;
  forUpload?: boolean;
}) {
  const id = useId();
  const usable = (keys.data ?? []).filter((k) => k.keyState === 'Enabled' && !k.aliases.includes(MANAGED_ALIAS));
  return (
    <div className="encryption-fields">
      <fieldset className="field">
        <legend>Encryption Method</legend>
        <div className="radios">
          {METHODS.map((m) => (
            <label key={m.value}>
              <input
                type="radio" name={`${id}-method`} value={m.value} checked={value.method === m.value}
                onChange={() => onChange({ method: m.value, algorithm: value.algorithm })}
              />
              {forUpload ? m.uploadLabel : m.label}
            </label>
          ))}
        </div>
      </fieldset>
      {value.method !== 'None' && (
        <fieldset className="field">
          <legend>Encryption Algorithm</legend>
          <div className="radios">
            {(['AES256', 'SM4'] as const).map((a) => (
              <label key={a}>
                <input
                  type="radio" name={`${id}-algorithm`} value={a} checked={value.algorithm === a}
                  onChange={() => onChange({ ...value, algorithm: a })}
                />
                {ALGORITHM_LABEL[a]}
              </label>
            ))}
          </div>
          <p className="hint">
            {value.method === 'KMS'
              ? 'The data cipher; the data key comes from the CMK either way.'
              : 'OSS encrypts each object with its own key, sealed by a rotating master key.'}
          </p>
        </fieldset>
      )}
      {value.method === 'KMS' && (
        <div className="field">
          <label htmlFor={`${id}-cmk`}>CMK</label>
          <select
            id={`${id}-cmk`} value={value.kmsKeyId ?? ''}
            onChange={(e) => onChange({ ...value, kmsKeyId: e.target.value || undefined })}
          >
            <option value="">{cmkLabel(undefined, keys.data)}</option>
            {usable.map((k) => <option key={k.keyId} value={k.keyId}>{cmkLabel(k.keyId, keys.data)}</option>)}
          </select>
          <p className="hint">
            {MANAGED_ALIAS} is the default CMK managed by KMS. A key of your own must be Enabled; create or import one under KMS.
          </p>
          {keys.error != null && <ErrorNotice error={keys.error} title="The CMK list could not be loaded" />}
        </div>
      )}
    </div>
  );
}
