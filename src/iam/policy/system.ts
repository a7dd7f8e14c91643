/** The built-in (PolicyType System) policies: attachable to users and groups, never changed or deleted. */
export interface SystemPolicy {
  name: string;
  description: string;
  document: string;
}

const allow = (actions: string[]): string => JSON.stringify({
  Version: '1',
  Statement: [{ Action: actions.length === 1 ? actions[0] : actions, Effect: 'Allow', Resource: '*' }],
}, null, 2);

/** In name order (case-insensitive), as ListPolicies pages through them. */
export const SYSTEM_POLICIES: readonly SystemPolicy[] = [
  { name: 'AliyunKMSFullAccess', description: 'Full access to Key Management Service (KMS)', document: allow(['kms:*']) },
  { name: 'AliyunOSSFullAccess', description: 'Full access to Object Storage Service (OSS)', document: allow(['oss:*']) },
  { name: 'AliyunOSSReadOnlyAccess', description: 'Read-only access to Object Storage Service (OSS)', document: allow(['oss:Get*', 'oss:List*']) },
];

/** System policies are looked up by name case-insensitively, as custom ones are. */
export function systemPolicy(name: string): SystemPolicy | undefined {
  const lower = name.toLowerCase();
  return SYSTEM_POLICIES.find((p) => p.name.toLowerCase() === lower);
}
