/**
 * KMS API throughput: GenerateDataKey and Decrypt ops/s over the KMS listener, signed (V1) and
 * sent by the real @alicloud/kms20160120 client, at concurrency 1 and 16, against a CMK made for
 * the purpose. Each call is a full request: signature check, nonce, key lookup, AEAD.
 */
import KmsClient, * as Kms from '@alicloud/kms20160120';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from './clients';
import { fmt, table } from './report';

export interface KmsApiResult {
  action: 'GenerateDataKey' | 'Decrypt';
  concurrency: number;
  ops: number;
  opsPerSec: number;
}

function client(kmsUrl: string): KmsClient {
  const config = { endpoint: new URL(kmsUrl).host, protocol: 'http', regionId: 'cn-hangzhou', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET };
  // The client reads a plain object; its declared Config type is a class (tea Model).
  return new KmsClient(config as unknown as ConstructorParameters<typeof KmsClient>[0]);
}

/** Runs `call` from `concurrency` workers for `seconds`; ops/s over the wall time. */
async function timed(concurrency: number, seconds: number, call: () => Promise<unknown>): Promise<{ ops: number; opsPerSec: number }> {
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await call();
      ops++;
    }
  }));
  return { ops, opsPerSec: ops / ((performance.now() - start) / 1000) };
}

export async function kmsApiBench(kmsUrl: string, seconds: number): Promise<KmsApiResult[]> {
  const kms = client(kmsUrl);
  const { keyMetadata } = await kms.createKey(new Kms.CreateKeyRequest({ keySpec: 'Aliyun_AES_256', description: 'bench' }));
  const keyId = keyMetadata!.keyId!;
  const context = { bench: 'kms' };
  const generate = (): Promise<Kms.GenerateDataKeyResponse> =>
    kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId, encryptionContext: context }));
  const { ciphertextBlob } = await generate();
  const decrypt = (): Promise<unknown> => kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob, encryptionContext: context }));
  // Warm-up: connections, caches, JIT.
  await timed(4, 0.3, generate);
  await timed(4, 0.3, decrypt);
  const out: KmsApiResult[] = [];
  for (const [action, call] of [['GenerateDataKey', generate], ['Decrypt', decrypt]] as const) {
    for (const concurrency of [1, 16]) out.push({ action, concurrency, ...(await timed(concurrency, seconds, call)) });
  }
  return out;
}

export function kmsApiTable(results: KmsApiResult[]): string {
  return table([
    ['KMS API (kms20160120, V1)', 'c', 'ops/s'],
    ...results.map((r) => [r.action, String(r.concurrency), fmt(r.opsPerSec)]),
  ]);
}
