/**
 * Policies: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies; versions (CreatePolicyVersion,
 * GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion); and
 * attachment to users and groups (AttachPolicyTo*, DetachPolicyFrom*, ListPoliciesFor*,
 * ListEntitiesForPolicy). Documents are validated on the way in (MalformedPolicyDocument naming
 * the fault); custom policies have at most five versions, the default one in force.
 */
import { CofferError } from '../common/errors';
import { scanDocs } from '../store/docs';
import { enumParam, requiredParam, type Params, type RpcResult } from '../rpc';
import type { MetadataReader, MetadataTx } from '../store/types';
import { parsePolicy, SYSTEM_POLICIES } from '../iam/policy';
import {
  boolParam, groupNameParam, pageOf, pageParams, policyNameParam, policyTypeParam, ramDate, textParam,
  userNameParam, versionIdParam,
} from './params';
import {
  idOf, KIND, type GroupRecord, type PolicyRecord, type PolicyRef, type PolicyType, type PolicyVersionRecord, type UserRecord,
} from '../iam/ram/records';
import { defaultVersionOf, policyNotFound, viewOfCustom, type PolicyView, type RamStore } from '../iam/ram/store';

const MAX_DOCUMENT_CHARS = 6144;
const MAX_VERSIONS = 5;
const MAX_CUSTOM_POLICIES = 1500;

/** A policy document: at most 6144 characters, and valid (parsed here, so a bad one is refused before anything changes). */
function documentParam(p: Params): string {
  const doc = requiredParam(p, 'PolicyDocument');
  if (doc.length > MAX_DOCUMENT_CHARS) {
    throw new CofferError('InvalidParameter.PolicyDocument.Length', `The parameter - "PolicyDocument" beyond the length limit: at most ${MAX_DOCUMENT_CHARS} characters.`);
  }
  parsePolicy(doc);
  return doc;
}

const refKey = (type: PolicyType, name: string): string => `${type}/${idOf(name)}`;

function policyView(v: PolicyView, attachmentCount?: number): Record<string, unknown> {
  return {
    PolicyName: v.name,
    PolicyType: v.type,
    Description: v.description,
    DefaultVersion: v.defaultVersion,
    CreateDate: ramDate(v.createdAt),
    UpdateDate: ramDate(v.updatedAt),
    ...(attachmentCount === undefined ? {} : { AttachmentCount: attachmentCount }),
  };
}

const versionView = (v: PolicyVersionRecord, defaultVersion: string): Record<string, unknown> => ({
  VersionId: v.versionId, IsDefaultVersion: v.versionId === defaultVersion, PolicyDocument: v.document, CreateDate: ramDate(v.createdAt),
});

/** Who holds policies: users and groups, each with its name parameter, record kind and attachment limits. */
const HOLDERS = {
  User: { kind: KIND.user, nameParam: userNameParam, limits: { System: 20, Custom: 10 } },
  Group: { kind: KIND.group, nameParam: groupNameParam, limits: { System: 20, Custom: 5 } },
} as const;
type Holder = keyof typeof HOLDERS;
type HolderRecord = UserRecord | GroupRecord;

interface Attachment { holder: Holder; record: HolderRecord; ref: PolicyRef }

const holderName = (r: HolderRecord): string => ('userName' in r ? r.userName : r.groupName);

async function requireHolder(ram: RamStore, reader: MetadataReader, holder: Holder, name: string): Promise<HolderRecord> {
  return holder === 'User' ? ram.requireUser(reader, name) : ram.requireGroup(reader, name);
}

/** Every attachment in the account, from the users' and groups' side (RAM-sized: at most 1000 users and 50 groups). */
async function attachments(reader: MetadataReader): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const holder of ['User', 'Group'] as const) {
    for await (const record of scanDocs<HolderRecord>(reader, HOLDERS[holder].kind, (r) => idOf(holderName(r)))) {
      for (const ref of record.policies) out.push({ holder, record, ref });
    }
  }
  return out;
}

async function attachedTo(reader: MetadataReader, type: PolicyType, name: string): Promise<Attachment[]> {
  return (await attachments(reader)).filter((a) => refKey(a.ref.type, a.ref.name) === refKey(type, name));
}

export async function CreatePolicy(ram: RamStore, p: Params): Promise<RpcResult> {
  const policyName = policyNameParam(p);
  const description = textParam(p, 'Description', 1024) ?? '';
  const document = documentParam(p);
  const rec = await ram.mutate(async (tx) => {
    if (await ram.policy(tx, undefined, policyName)) throw new CofferError('EntityAlreadyExists.Policy', `A policy named ${policyName} already exists.`);
    if ((await tx.countDocs(KIND.policy)) >= MAX_CUSTOM_POLICIES) {
      throw new CofferError('LimitExceeded.Policy', `An account has at most ${MAX_CUSTOM_POLICIES} custom policies.`);
    }
    const now = Date.now();
    const created: PolicyRecord = {
      policyName, description, createdAt: now, updatedAt: now, defaultVersion: 'v1',
      versions: [{ versionId: 'v1', document, createdAt: now }], nextVersion: 2,
    };
    await tx.putDoc(KIND.policy, idOf(policyName), created);
    return created;
  });
  return { Policy: policyView(viewOfCustom(rec)) };
}

export async function GetPolicy(ram: RamStore, p: Params): Promise<RpcResult> {
  const name = policyNameParam(p);
  const policy = await ram.requirePolicy(ram.meta, policyTypeParam(p, false), name);
  const version = defaultVersionOf(policy);
  const count = (await attachedTo(ram.meta, policy.type, policy.name)).length;
  return {
    Policy: { ...policyView(policy, count), PolicyDocument: version.document },
    DefaultPolicyVersion: versionView(version, policy.defaultVersion),
  };
}

/** A custom policy's record inside a transaction. */
async function customPolicy(tx: MetadataTx, name: string): Promise<PolicyRecord> {
  const rec = await tx.getDoc<PolicyRecord>(KIND.policy, idOf(name));
  if (!rec) throw policyNotFound('Custom', name);
  return rec;
}

/** DeletePolicy; with CascadingDelete it first detaches the policy everywhere and drops its other versions. */
export async function DeletePolicy(ram: RamStore, p: Params): Promise<RpcResult> {
  const name = policyNameParam(p);
  const cascade = boolParam(p, 'CascadingDelete');
  await ram.mutate(async (tx) => {
    const rec = await customPolicy(tx, name);
    const held = await attachedTo(tx, 'Custom', rec.policyName);
    if (!cascade) {
      const conflict = (what: string, why: string): CofferError =>
        new CofferError(`DeleteConflict.Policy.${what}`, `The policy ${rec.policyName} cannot be deleted while ${why}; detach it first, or delete with CascadingDelete.`);
      const users = held.filter((a) => a.holder === 'User').map((a) => holderName(a.record));
      const groups = held.filter((a) => a.holder === 'Group').map((a) => holderName(a.record));
      if (users.length) throw conflict('User', `it is attached to users (${users.join(', ')})`);
      if (groups.length) throw conflict('Group', `it is attached to groups (${groups.join(', ')})`);
      if (rec.versions.length > 1) throw conflict('Version', 'it has versions besides the default one');
    }
    for (const a of held) {
      await tx.putDoc(HOLDERS[a.holder].kind, idOf(holderName(a.record)), { ...a.record, policies: a.record.policies.filter((r) => r !== a.ref) });
    }
    await tx.deleteDoc(KIND.policy, idOf(rec.policyName));
  });
  return {};
}

/** ListPolicies: custom policies, then system ones; the Marker is "<type>/<lower-case name>" of the last one shown. */
export async function ListPolicies(ram: RamStore, p: Params): Promise<RpcResult> {
  const type = policyTypeParam(p, false);
  const q = pageParams(p);
  const slash = q.marker.indexOf('/');
  const markerType = q.marker.slice(0, Math.max(slash, 0));
  const markerName = q.marker.slice(slash + 1);
  const views: PolicyView[] = [];
  if (type !== 'System' && markerType !== 'System') {
    const after = markerType === 'Custom' ? markerName : '';
    const custom = await ram.meta.listDocs<PolicyRecord>(KIND.policy, { after, limit: q.maxItems + 1 });
    views.push(...custom.map(viewOfCustom));
  }
  if (type !== 'Custom' && views.length <= q.maxItems) {
    for (const { name } of SYSTEM_POLICIES) {
      if (markerType === 'System' && idOf(name) <= markerName) continue;
      views.push((await ram.policy(ram.meta, 'System', name))!);
    }
  }
  const counts = new Map<string, number>();
  for (const a of await attachments(ram.meta)) {
    const key = refKey(a.ref.type, a.ref.name);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const page = pageOf(views, q, (v) => refKey(v.type, v.name));
  return {
    Policies: { Policy: page.items.map((v) => policyView(v, counts.get(refKey(v.type, v.name)) ?? 0)) },
    ...page.paging,
  };
}

/** CreatePolicyVersion: v<n> with n never reused; past five versions, RotateStrategy may drop the oldest non-default one. */
export async function CreatePolicyVersion(ram: RamStore, p: Params): Promise<RpcResult> {
  const name = policyNameParam(p);
  const document = documentParam(p);
  const setAsDefault = boolParam(p, 'SetAsDefault');
  const rotate = enumParam(p, 'RotateStrategy', ['None', 'DeleteOldestNonDefaultVersionWhenLimitExceeded'], 'None');
  const version = await ram.mutate(async (tx) => {
    const rec = await customPolicy(tx, name);
    if (rec.versions.length >= MAX_VERSIONS) {
      const oldest = rec.versions.find((v) => v.versionId !== rec.defaultVersion)!;
      if (rotate === 'None') {
        throw new CofferError('LimitExceeded.Policy.Version', `The policy ${rec.policyName} already has ${MAX_VERSIONS} versions; delete one, or pass RotateStrategy=DeleteOldestNonDefaultVersionWhenLimitExceeded.`);
      }
      rec.versions = rec.versions.filter((v) => v !== oldest);
    }
    const now = Date.now();
    const created: PolicyVersionRecord = { versionId: `v${rec.nextVersion}`, document, createdAt: now };
    rec.versions.push(created);
    rec.nextVersion++;
    rec.updatedAt = now;
    if (setAsDefault) rec.defaultVersion = created.versionId;
    await tx.putDoc(KIND.policy, idOf(rec.policyName), rec);
    return { created, defaultVersion: rec.defaultVersion };
  });
  return { PolicyVersion: versionView(version.created, version.defaultVersion) };
}

function requireVersion(policy: PolicyView, versionId: string): PolicyVersionRecord {
  const v = policy.versions.find((x) => x.versionId === versionId);
  if (!v) throw new CofferError('EntityNotExist.Policy.Version', `The policy ${policy.name} has no version ${versionId}.`);
  return v;
}

export async function GetPolicyVersion(ram: RamStore, p: Params): Promise<RpcResult> {
  const policy = await ram.requirePolicy(ram.meta, policyTypeParam(p, true), policyNameParam(p));
  return { PolicyVersion: versionView(requireVersion(policy, versionIdParam(p)), policy.defaultVersion) };
}

export async function ListPolicyVersions(ram: RamStore, p: Params): Promise<RpcResult> {
  const policy = await ram.requirePolicy(ram.meta, policyTypeParam(p, true), policyNameParam(p));
  return { PolicyVersions: { PolicyVersion: policy.versions.map((v) => versionView(v, policy.defaultVersion)) } };
}

export async function DeletePolicyVersion(ram: RamStore, p: Params): Promise<RpcResult> {
  const name = policyNameParam(p);
  const versionId = versionIdParam(p);
  await ram.mutate(async (tx) => {
    const rec = await customPolicy(tx, name);
    requireVersion(viewOfCustom(rec), versionId);
    if (versionId === rec.defaultVersion) {
      throw new CofferError('DeleteConflict.Policy.Version.Default', `${versionId} is the default version of ${rec.policyName}; make another version the default first.`);
    }
    await tx.putDoc(KIND.policy, idOf(rec.policyName), { ...rec, versions: rec.versions.filter((v) => v.versionId !== versionId), updatedAt: Date.now() });
  });
  return {};
}

export async function SetDefaultPolicyVersion(ram: RamStore, p: Params): Promise<RpcResult> {
  const name = policyNameParam(p);
  const versionId = versionIdParam(p);
  await ram.mutate(async (tx) => {
    const rec = await customPolicy(tx, name);
    requireVersion(viewOfCustom(rec), versionId);
    await tx.putDoc(KIND.policy, idOf(rec.policyName), { ...rec, defaultVersion: versionId, updatedAt: Date.now() });
  });
  return {};
}

/** AttachPolicyToUser / AttachPolicyToGroup. */
async function attach(ram: RamStore, p: Params, holder: Holder): Promise<RpcResult> {
  const type = policyTypeParam(p, true)!;
  const policyName = policyNameParam(p);
  const holderParam = HOLDERS[holder].nameParam(p);
  await ram.mutate(async (tx) => {
    const policy = await ram.requirePolicy(tx, type, policyName);
    const record = await requireHolder(ram, tx, holder, holderParam);
    if (record.policies.some((r) => refKey(r.type, r.name) === refKey(type, policy.name))) {
      throw new CofferError(`EntityAlreadyExists.${holder}.Policy`, `The ${type} policy ${policy.name} is already attached to ${holder.toLowerCase()} ${holderName(record)}.`);
    }
    const limit = HOLDERS[holder].limits[type];
    if (record.policies.filter((r) => r.type === type).length >= limit) {
      throw new CofferError(`LimitExceeded.${holder}.Policy`, `A ${holder.toLowerCase()} may have at most ${limit} ${type} policies attached.`);
    }
    const ref: PolicyRef = { type, name: policy.name, attachedAt: Date.now() };
    await tx.putDoc(HOLDERS[holder].kind, idOf(holderName(record)), { ...record, policies: [...record.policies, ref] });
  });
  return {};
}

/** DetachPolicyFromUser / DetachPolicyFromGroup. */
async function detach(ram: RamStore, p: Params, holder: Holder): Promise<RpcResult> {
  const type = policyTypeParam(p, true)!;
  const policyName = policyNameParam(p);
  const holderParam = HOLDERS[holder].nameParam(p);
  await ram.mutate(async (tx) => {
    const record = await requireHolder(ram, tx, holder, holderParam);
    const kept = record.policies.filter((r) => refKey(r.type, r.name) !== refKey(type, policyName));
    if (kept.length === record.policies.length) {
      throw new CofferError(`EntityNotExist.${holder}.Policy`, `The ${type} policy ${policyName} is not attached to ${holder.toLowerCase()} ${holderName(record)}.`);
    }
    await tx.putDoc(HOLDERS[holder].kind, idOf(holderName(record)), { ...record, policies: kept });
  });
  return {};
}

/** ListPoliciesForUser / ListPoliciesForGroup. */
async function listFor(ram: RamStore, p: Params, holder: Holder): Promise<RpcResult> {
  const record = await requireHolder(ram, ram.meta, holder, HOLDERS[holder].nameParam(p));
  const policies = [];
  for (const ref of record.policies) {
    const v = await ram.policy(ram.meta, ref.type, ref.name);
    if (v) policies.push({ PolicyName: v.name, PolicyType: v.type, Description: v.description, DefaultVersion: v.defaultVersion, AttachDate: ramDate(ref.attachedAt) });
  }
  return { Policies: { Policy: policies } };
}

export const AttachPolicyToUser = (ram: RamStore, p: Params): Promise<RpcResult> => attach(ram, p, 'User');
export const DetachPolicyFromUser = (ram: RamStore, p: Params): Promise<RpcResult> => detach(ram, p, 'User');
export const ListPoliciesForUser = (ram: RamStore, p: Params): Promise<RpcResult> => listFor(ram, p, 'User');
export const AttachPolicyToGroup = (ram: RamStore, p: Params): Promise<RpcResult> => attach(ram, p, 'Group');
export const DetachPolicyFromGroup = (ram: RamStore, p: Params): Promise<RpcResult> => detach(ram, p, 'Group');
export const ListPoliciesForGroup = (ram: RamStore, p: Params): Promise<RpcResult> => listFor(ram, p, 'Group');

export async function ListEntitiesForPolicy(ram: RamStore, p: Params): Promise<RpcResult> {
  const policy = await ram.requirePolicy(ram.meta, policyTypeParam(p, true), policyNameParam(p));
  const held = await attachedTo(ram.meta, policy.type, policy.name);
  const users = held.filter((a) => a.holder === 'User').map((a) => {
    const u = a.record as UserRecord;
    return { UserId: u.userId, UserName: u.userName, DisplayName: u.displayName, AttachDate: ramDate(a.ref.attachedAt) };
  });
  const groups = held.filter((a) => a.holder === 'Group').map((a) => {
    const g = a.record as GroupRecord;
    return { GroupName: g.groupName, Comments: g.comments, AttachDate: ramDate(a.ref.attachedAt) };
  });
  return { Users: { User: users }, Groups: { Group: groups }, Roles: { Role: [] } };
}
