/**
 * The three RAM policies of seed 004's "Required permissions" section, as the seed writes them
 * (less its // comments), for the account the seed masks as 141661496593****.
 */
const kmsPolicy = (account: string, actions: string[]): object => ({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: [`acs:kms:*:${account}:*`] }],
});

export const seedPolicies = (account = '141661496593****'): { configure: object; upload: object; download: object } => ({
  /** Configure server-side encryption for a bucket (with oss:PutBucketEncryption / GetBucketEncryption). */
  configure: kmsPolicy(account, ['kms:List*', 'kms:DescribeKey']),
  /** Upload an object to a bucket for which an encryption method is configured. */
  upload: kmsPolicy(account, ['kms:List*', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt']),
  /** Download an object from such a bucket. */
  download: kmsPolicy(account, ['kms:Decrypt']),
});
