/**
 * CreateUser, GetUser, UpdateUser, DeleteUser, ListUsers; CreateAccessKey, UpdateAccessKey,
 * DeleteAccessKey, ListAccessKeys. At most 1000 users and two access keys per user; a secret is
 * returned once, by CreateAccessKey, and kept only sealed. A user is deleted only once it has no
 * access key, policy or group left (DeleteConflict.User.*), as RAM requires.
 */
import { CofferError } from '../common/errors';
import { enumParam, requiredParam, type Params, type RpcResult } from '../rpc';
import type { MetadataTx } from '../store/types';
import {
  formatParam, numericId, pageOf, pageParams, ramDate, randomBase62, textParam, userNameParam,
} from './params';
import { idOf, KIND, type AccessKeyRecord, type AccessKeyStatus, type GroupRecord, type UserRecord } from '../iam/ram/records';
import type { RamStore } from '../iam/ram/store';

const MAX_USERS = 1000;
const MAX_ACCESS_KEYS = 2;

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MOBILE = /^\d{1,4}-\d{4,15}$/;

/** DisplayName, Email, MobilePhone, Comments as given (prefix "New" for UpdateUser); undefined = not given. */
function profileParams(p: Params, prefix: '' | 'New'): Partial<Pick<UserRecord, 'displayName' | 'email' | 'mobilePhone' | 'comments'>> {
  const fields = {
    displayName: textParam(p, `${prefix}DisplayName`, 128),
    email: formatParam(p, `${prefix}Email`, EMAIL, 'alice@example.com'),
    mobilePhone: formatParam(p, `${prefix}MobilePhone`, MOBILE, '86-18600008888'),
    comments: textParam(p, `${prefix}Comments`, 128),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function userView(u: UserRecord): Record<string, string> {
  return {
    UserId: u.userId,
    UserName: u.userName,
    DisplayName: u.displayName,
    MobilePhone: u.mobilePhone,
    Email: u.email,
    Comments: u.comments,
    CreateDate: ramDate(u.createdAt),
    UpdateDate: ramDate(u.updatedAt),
  };
}

export async function CreateUser(ram: RamStore, p: Params): Promise<RpcResult> {
  const userName = userNameParam(p);
  const profile = profileParams(p, '');
  const user = await ram.mutate(async (tx) => {
    if (await tx.getDoc(KIND.user, idOf(userName))) throw new CofferError('EntityAlreadyExists.User', `The user ${userName} already exists.`);
    if ((await tx.countDocs(KIND.user)) >= MAX_USERS) throw new CofferError('LimitExceeded.User', `An account has at most ${MAX_USERS} RAM users.`);
    const now = Date.now();
    const rec: UserRecord = {
      userId: numericId(), userName, displayName: userName, email: '', mobilePhone: '', comments: '', ...profile,
      createdAt: now, updatedAt: now, accessKeyIds: [], policies: [], groups: [],
    };
    await tx.putDoc(KIND.user, idOf(userName), rec);
    return rec;
  });
  return { User: userView(user) };
}

export async function GetUser(ram: RamStore, p: Params): Promise<RpcResult> {
  const user = await ram.requireUser(ram.meta, userNameParam(p));
  return { User: { ...userView(user), LastLoginDate: '' } };
}

/** UpdateUser; a new name carries the user's keys, policies and group memberships along. */
export async function UpdateUser(ram: RamStore, p: Params): Promise<RpcResult> {
  const userName = userNameParam(p);
  const newName = p.get('NewUserName') ? userNameParam(p, 'NewUserName') : undefined;
  const profile = profileParams(p, 'New');
  const user = await ram.mutate(async (tx) => {
    const rec = await ram.requireUser(tx, userName);
    const next: UserRecord = { ...rec, ...profile, updatedAt: Date.now() };
    if (newName !== undefined && newName !== rec.userName) {
      if (idOf(newName) !== idOf(rec.userName) && (await tx.getDoc(KIND.user, idOf(newName)))) {
        throw new CofferError('EntityAlreadyExists.User', `The user ${newName} already exists.`);
      }
      next.userName = newName;
      await tx.deleteDoc(KIND.user, idOf(rec.userName));
      for (const id of rec.accessKeyIds) {
        const key = (await tx.getDoc<AccessKeyRecord>(KIND.accessKey, id))!;
        await tx.putDoc(KIND.accessKey, id, { ...key, userName: newName });
      }
      for (const m of rec.groups) {
        const group = (await tx.getDoc<GroupRecord>(KIND.group, idOf(m.name)))!;
        group.members = group.members.map((x) => (idOf(x.name) === idOf(rec.userName) ? { ...x, name: newName } : x));
        await tx.putDoc(KIND.group, idOf(group.groupName), group);
      }
    }
    await tx.putDoc(KIND.user, idOf(next.userName), next);
    return next;
  });
  return { User: userView(user) };
}

export async function DeleteUser(ram: RamStore, p: Params): Promise<RpcResult> {
  const userName = userNameParam(p);
  await ram.mutate(async (tx) => {
    const user = await ram.requireUser(tx, userName);
    const conflict = (what: string, why: string): CofferError =>
      new CofferError(`DeleteConflict.User.${what}`, `The user ${user.userName} cannot be deleted while it ${why}.`);
    if (user.accessKeyIds.length) throw conflict('AccessKey', `has access keys (${user.accessKeyIds.join(', ')})`);
    if (user.policies.length) throw conflict('Policy', `has policies attached (${user.policies.map((r) => r.name).join(', ')})`);
    if (user.groups.length) throw conflict('Group', `is in groups (${user.groups.map((g) => g.name).join(', ')})`);
    await tx.deleteDoc(KIND.user, idOf(user.userName));
  });
  return {};
}

export async function ListUsers(ram: RamStore, p: Params): Promise<RpcResult> {
  const q = pageParams(p);
  const users = await ram.meta.listDocs<UserRecord>(KIND.user, { after: q.marker, limit: q.maxItems + 1 });
  const page = pageOf(users, q, (u) => idOf(u.userName));
  return { Users: { User: page.items.map(userView) }, ...page.paging };
}

const keyView = (k: AccessKeyRecord): Record<string, string> => ({ AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: ramDate(k.createdAt) });

/** The user whose keys an action handles: unlike in RAM, never the account root, whose key comes from the server configuration. */
function keyOwnerParam(p: Params): string {
  if (!p.get('UserName')) {
    throw new CofferError('MissingParameter', "The parameter UserName is required: the account root's access key comes from the server configuration, not from RAM.");
  }
  return userNameParam(p);
}

export async function CreateAccessKey(ram: RamStore, p: Params): Promise<RpcResult> {
  const userName = keyOwnerParam(p);
  const accessKeyId = `LTAI${randomBase62(20)}`;
  const secret = randomBase62(30);
  const rec = await ram.mutate(async (tx) => {
    const user = await ram.requireUser(tx, userName);
    if (user.accessKeyIds.length >= MAX_ACCESS_KEYS) {
      throw new CofferError('LimitExceeded.User.AccessKey', `The user ${user.userName} already has ${MAX_ACCESS_KEYS} access keys, the most a RAM user may have.`);
    }
    const key: AccessKeyRecord = { accessKeyId, userName: user.userName, sealedSecret: ram.sealSecret(accessKeyId, secret), status: 'Active', createdAt: Date.now() };
    await tx.putDoc(KIND.accessKey, accessKeyId, key);
    await tx.putDoc(KIND.user, idOf(user.userName), { ...user, accessKeyIds: [...user.accessKeyIds, accessKeyId] });
    return key;
  });
  return { AccessKey: { ...keyView(rec), AccessKeySecret: secret } };
}

/** The user's key named by UserAccessKeyId, in the same transaction as the change. */
async function ownKey(ram: RamStore, tx: MetadataTx, p: Params): Promise<{ user: UserRecord; key: AccessKeyRecord }> {
  const userName = keyOwnerParam(p);
  const accessKeyId = requiredParam(p, 'UserAccessKeyId');
  const user = await ram.requireUser(tx, userName);
  const key = user.accessKeyIds.includes(accessKeyId) ? await tx.getDoc<AccessKeyRecord>(KIND.accessKey, accessKeyId) : null;
  if (!key) throw new CofferError('EntityNotExist.User.AccessKey', `The user ${user.userName} has no access key ${accessKeyId}.`);
  return { user, key };
}

export async function UpdateAccessKey(ram: RamStore, p: Params): Promise<RpcResult> {
  const status: AccessKeyStatus = enumParam(p, 'Status', ['Active', 'Inactive']);
  await ram.mutate(async (tx) => {
    const { key } = await ownKey(ram, tx, p);
    await tx.putDoc(KIND.accessKey, key.accessKeyId, { ...key, status });
  });
  return {};
}

export async function DeleteAccessKey(ram: RamStore, p: Params): Promise<RpcResult> {
  await ram.mutate(async (tx) => {
    const { user, key } = await ownKey(ram, tx, p);
    await tx.deleteDoc(KIND.accessKey, key.accessKeyId);
    await tx.putDoc(KIND.user, idOf(user.userName), { ...user, accessKeyIds: user.accessKeyIds.filter((id) => id !== key.accessKeyId) });
  });
  return {};
}

export async function ListAccessKeys(ram: RamStore, p: Params): Promise<RpcResult> {
  const user = await ram.requireUser(ram.meta, keyOwnerParam(p));
  const keys: AccessKeyRecord[] = [];
  for (const id of user.accessKeyIds) {
    const key = await ram.meta.getDoc<AccessKeyRecord>(KIND.accessKey, id);
    if (key) keys.push(key);
  }
  return { AccessKeys: { AccessKey: keys.map(keyView) } };
}
