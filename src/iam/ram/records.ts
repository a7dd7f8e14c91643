/**
 * What RAM keeps in the MetadataStore's documents. Names are unique case-insensitively, so
 * document ids are lower-case names; records keep the name as given. Times are Unix ms.
 *
 *   ram.user        id = lower-case user name    UserRecord (its keys, policies and groups)
 *   ram.access-key  id = AccessKeyId             AccessKeyRecord (secret sealed by the root key)
 *   ram.group       id = lower-case group name   GroupRecord (its members and policies)
 *   ram.policy      id = lower-case policy name  PolicyRecord (custom policies, versions inline)
 *
 * Attachments and memberships are kept on both sides (the user's groups and the group's
 * members) and changed in one transaction; what a user may do is read from the user's side.
 */

export const KIND = {
  user: 'ram.user',
  accessKey: 'ram.access-key',
  group: 'ram.group',
  policy: 'ram.policy',
} as const;

export const idOf = (name: string): string => name.toLowerCase();

export type PolicyType = 'System' | 'Custom';
export const POLICY_TYPES: readonly PolicyType[] = ['System', 'Custom'];

export interface PolicyRef {
  type: PolicyType;
  name: string;
  attachedAt: number;
}

export interface Membership {
  name: string;
  joinedAt: number;
}

export interface UserRecord {
  userId: string;
  userName: string;
  displayName: string;
  email: string;
  mobilePhone: string;
  comments: string;
  createdAt: number;
  updatedAt: number;
  accessKeyIds: string[];
  policies: PolicyRef[];
  groups: Membership[];
}

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  accessKeyId: string;
  userName: string;
  /** AES-256-GCM under the root key, AAD naming the key id (store.ts), base64. */
  sealedSecret: string;
  status: AccessKeyStatus;
  createdAt: number;
}

export interface GroupRecord {
  groupId: string;
  groupName: string;
  comments: string;
  createdAt: number;
  updatedAt: number;
  members: Membership[];
  policies: PolicyRef[];
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  createdAt: number;
}

export interface PolicyRecord {
  policyName: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  defaultVersion: string;
  versions: PolicyVersionRecord[];
  /** The number of the next version id (v<n>); ids are never reused. */
  nextVersion: number;
}
