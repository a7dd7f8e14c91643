/**
 * The RAM user the `coffer-ram` target measures with: made through the RAM API with the real
 * @alicloud/ram20150501 client before any timed case, with a 20-statement policy whose one grant
 * for GetObject comes last, so a GET checks every statement covering its action (Deny
 * statements on other buckets, grants on other resources, conditions that fail) before it is
 * allowed.
 */
import RamClient, * as Ram from '@alicloud/ram20150501';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type Credentials } from './clients';

const oss = (relative: string): string => `acs:oss:*:*:${relative}`;

/** 20 statements; the bench needs oss:PutObject and oss:GetObject on <bucket>/*, granted by the last two. */
export function benchPolicy(bucket: string): object {
  const statements: object[] = [];
  for (let i = 0; i < 6; i++) statements.push({ Effect: 'Deny', Action: 'oss:*', Resource: [oss(`private-${i}`), oss(`private-${i}/*`)] });
  for (let i = 0; i < 5; i++) {
    statements.push({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: oss(`team-${i}/*`), Condition: { IpAddress: { 'acs:SourceIp': `10.${i}.0.0/16` } } });
  }
  statements.push(
    { Effect: 'Allow', Action: 'oss:ListObjects', Resource: oss(bucket), Condition: { StringLike: { 'oss:Prefix': 'home/*' } } },
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: oss(`${bucket}/archive/*`) },
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: oss(`${bucket}/*`), Condition: { DateLessThan: { 'acs:CurrentTime': '2020-01-01T00:00:00Z' } } },
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: oss(`${bucket}/*`), Condition: { Bool: { 'acs:SecureTransport': 'true' } } },
    { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: oss(`${bucket}/*`) },
    { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: 'acs:kms:*:*:key/*' },
    { Effect: 'Allow', Action: 'oss:GetBucketInfo', Resource: oss(bucket) },
    { Effect: 'Allow', Action: 'oss:PutObject', Resource: oss(`${bucket}/*`) },
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: oss(`${bucket}/*`), Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '127.0.0.0/8', '::1'] } } },
  );
  return { Version: '1', Statement: statements };
}

/** Creates the user, its key and the policy through the RAM API at `kmsUrl`; returns the key. */
export async function createBenchUser(kmsUrl: string, bucket: string): Promise<Credentials> {
  const config = { endpoint: new URL(kmsUrl).host, protocol: 'http', regionId: 'cn-hangzhou', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET };
  // The client reads a plain object; its declared Config type is a class (tea Model).
  const ram = new RamClient(config as unknown as ConstructorParameters<typeof RamClient>[0]);
  const document = benchPolicy(bucket);
  if ((document as { Statement: object[] }).Statement.length !== 20) throw new Error('the bench policy must have 20 statements');
  await ram.createUser(new Ram.CreateUserRequest({ userName: 'bench' }));
  await ram.createPolicy(new Ram.CreatePolicyRequest({ policyName: 'bench-20-statements', policyDocument: JSON.stringify(document) }));
  await ram.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType: 'Custom', policyName: 'bench-20-statements', userName: 'bench' }));
  const key = (await ram.createAccessKey(new Ram.CreateAccessKeyRequest({ userName: 'bench' }))).body!.accessKey!;
  return { accessKeyId: key.accessKeyId!, accessKeySecret: key.accessKeySecret! };
}
