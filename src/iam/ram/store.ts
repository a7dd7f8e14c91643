/**
 * RAM's storage layer over the MetadataStore: loading users, groups and policies (custom ones
 * stored, system ones built in) with RAM's not-found errors, sealing access-key secrets, and
 * what a user's access key stands for at request time (its secret, status and the policies in
 * force through the user and the user's groups).
 *
 * Secrets are sealed by the root key with AES-256-GCM and the AAD
 * `coffer/v1/ram-access-key-secret/<AccessKeyId>`, so a sealed secret cannot be moved to another key.
 * Every change runs through mutate(), which tells the listeners (the credential cache) once it is done.
 */
import { open, seal } from '../../crypto/aead';
import { CofferError } from '../../common/errors';
import type { MetadataReader, MetadataStore, MetadataTx } from '../../store/types';
import type { AccessKey } from '../credentials';
import { parsePolicy, PolicySet, systemPolicy, type Policy } from '../policy';
import {
  idOf, KIND, type AccessKeyRecord, type GroupRecord, type PolicyRecord, type PolicyRef, type PolicyType,
  type PolicyVersionRecord, type UserRecord,
} from './records';

/** Compiled policy versions kept at once; versions never change, so entries need no expiry. */
const MAX_COMPILED = 1000;

/** When built-in policies claim to have been created (they exist in every account from the start). */
const SYSTEM_POLICY_CREATED = Date.UTC(2015, 3, 28, 16, 12);

/** A policy of either type, as the API shows it. */
export interface PolicyView {
  type: PolicyType;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  defaultVersion: string;
  versions: PolicyVersionRecord[];
}

export const policyNotFound = (type: PolicyType | undefined, name: string): CofferError =>
  new CofferError('EntityNotExist.Policy', `The ${type ? `${type} ` : ''}policy ${name} does not exist.`);

export function defaultVersionOf(p: PolicyView): PolicyVersionRecord {
  return p.versions.find((v) => v.versionId === p.defaultVersion)!;
}

export function viewOfCustom(rec: PolicyRecord): PolicyView {
  return {
    type: 'Custom', name: rec.policyName, description: rec.description, createdAt: rec.createdAt,
    updatedAt: rec.updatedAt, defaultVersion: rec.defaultVersion, versions: rec.versions,
  };
}

/** Notified on every RAM change, so every process drops its cached credentials and policies. */
export const RAM_CHANNEL = 'ram';

export class RamStore {
  private readonly compiled = new Map<string, Policy>();
  private readonly listeners: Array<() => void> = [];

  constructor(readonly meta: MetadataStore, private readonly rootKey: Buffer, readonly accountId: string) {
    if (rootKey.length !== 32) throw new Error('the root key must be 32 bytes');
  }

  /**
   * `listener` runs after every change made through this store (commit or rollback), at once;
   * other processes on the same metadata store hear of it through RAM_CHANNEL.
   */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async mutate<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    try {
      return await this.meta.transaction(async (tx) => {
        const result = await fn(tx);
        await tx.notify(RAM_CHANNEL, '');
        return result;
      });
    } finally {
      for (const listener of this.listeners) listener();
    }
  }

  async requireUser(reader: MetadataReader, name: string): Promise<UserRecord> {
    const user = await reader.getDoc<UserRecord>(KIND.user, idOf(name));
    if (!user) throw new CofferError('EntityNotExist.User', `The user ${name} does not exist.`);
    return user;
  }

  async requireGroup(reader: MetadataReader, name: string): Promise<GroupRecord> {
    const group = await reader.getDoc<GroupRecord>(KIND.group, idOf(name));
    if (!group) throw new CofferError('EntityNotExist.Group', `The group ${name} does not exist.`);
    return group;
  }

  /** A system or custom policy by type and name (any type when `type` is undefined), or null. */
  async policy(reader: MetadataReader, type: PolicyType | undefined, name: string): Promise<PolicyView | null> {
    if (type !== 'Custom') {
      const sys = systemPolicy(name);
      if (sys) {
        return {
          type: 'System', name: sys.name, description: sys.description, createdAt: SYSTEM_POLICY_CREATED,
          updatedAt: SYSTEM_POLICY_CREATED, defaultVersion: 'v1',
          versions: [{ versionId: 'v1', document: sys.document, createdAt: SYSTEM_POLICY_CREATED }],
        };
      }
      if (type === 'System') return null;
    }
    const rec = await reader.getDoc<PolicyRecord>(KIND.policy, idOf(name));
    return rec ? viewOfCustom(rec) : null;
  }

  async requirePolicy(reader: MetadataReader, type: PolicyType | undefined, name: string): Promise<PolicyView> {
    const p = await this.policy(reader, type, name);
    if (!p) throw policyNotFound(type, name);
    return p;
  }

  sealSecret(accessKeyId: string, secret: string): string {
    return seal(this.rootKey, Buffer.from(secret, 'utf8'), secretAad(accessKeyId)).toString('base64');
  }

  private openSecret(rec: AccessKeyRecord): string {
    try {
      return open(this.rootKey, Buffer.from(rec.sealedSecret, 'base64'), secretAad(rec.accessKeyId)).toString('utf8');
    } catch {
      throw new CofferError('InternalFailure', `The secret of access key ${rec.accessKeyId} could not be unsealed: the root key is not the one it was sealed with, or the store was altered.`);
    }
  }

  /** A RAM user's access key as authentication and authorization see it, or null if there is none. */
  async accessKey(accessKeyId: string): Promise<AccessKey | null> {
    const rec = await this.meta.getDoc<AccessKeyRecord>(KIND.accessKey, accessKeyId);
    if (!rec) return null;
    const user = await this.meta.getDoc<UserRecord>(KIND.user, idOf(rec.userName));
    if (!user) return null;
    return {
      accessKeyId,
      secret: this.openSecret(rec),
      active: rec.status === 'Active',
      principal: { kind: 'user', accountId: this.accountId, accessKeyId, userName: user.userName, userId: user.userId },
      permissions: await this.permissionsOf(user),
    };
  }

  /** The policies in force for a user: attached to it or to one of its groups. */
  async permissionsOf(user: UserRecord): Promise<PolicySet> {
    const refs = new Map<string, PolicyRef>();
    const add = (r: PolicyRef): void => { refs.set(`${r.type}/${idOf(r.name)}`, r); };
    user.policies.forEach(add);
    for (const g of user.groups) {
      const group = await this.meta.getDoc<GroupRecord>(KIND.group, idOf(g.name));
      group?.policies.forEach(add);
    }
    const policies: Policy[] = [];
    for (const ref of refs.values()) {
      const view = await this.policy(this.meta, ref.type, ref.name);
      if (view) policies.push(this.compile(view));
    }
    return new PolicySet(policies);
  }

  private compile(view: PolicyView): Policy {
    const version = defaultVersionOf(view);
    const cacheKey = `${view.type}/${idOf(view.name)}/${version.versionId}/${version.createdAt}`;
    let policy = this.compiled.get(cacheKey);
    if (!policy) {
      if (this.compiled.size >= MAX_COMPILED) this.compiled.clear();
      policy = parsePolicy(version.document);
      this.compiled.set(cacheKey, policy);
    }
    return policy;
  }
}

const secretAad = (accessKeyId: string): Buffer => Buffer.from(`coffer/v1/ram-access-key-secret/${accessKeyId}`);
