/**
 * Groups: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, AddUserToGroup,
 * RemoveUserFromGroup, ListGroupsForUser, ListUsersForGroup. Members get the group's policies.
 * At most 50 groups, and a user is in at most five; a group is deleted only once it has no
 * member and no policy left (DeleteConflict.Group.*).
 */
import { CofferError } from '../common/errors';
import type { Params, RpcResult } from '../rpc';
import { groupNameParam, numericId, pageOf, pageParams, ramDate, textParam, userNameParam } from './params';
import { idOf, KIND, type GroupRecord, type UserRecord } from '../iam/ram/records';
import type { RamStore } from '../iam/ram/store';

const MAX_GROUPS = 50;
const MAX_GROUPS_PER_USER = 5;

const groupView = (g: GroupRecord): Record<string, string> => ({
  GroupId: g.groupId, GroupName: g.groupName, Comments: g.comments, CreateDate: ramDate(g.createdAt), UpdateDate: ramDate(g.updatedAt),
});

export async function CreateGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const groupName = groupNameParam(p);
  const comments = textParam(p, 'Comments', 128) ?? '';
  const group = await ram.mutate(async (tx) => {
    if (await tx.getDoc(KIND.group, idOf(groupName))) throw new CofferError('EntityAlreadyExists.Group', `The group ${groupName} already exists.`);
    if ((await tx.countDocs(KIND.group)) >= MAX_GROUPS) throw new CofferError('LimitExceeded.Group', `An account has at most ${MAX_GROUPS} groups.`);
    const now = Date.now();
    const rec: GroupRecord = { groupId: numericId(), groupName, comments, createdAt: now, updatedAt: now, members: [], policies: [] };
    await tx.putDoc(KIND.group, idOf(groupName), rec);
    return rec;
  });
  return { Group: groupView(group) };
}

export async function GetGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  return { Group: groupView(await ram.requireGroup(ram.meta, groupNameParam(p))) };
}

/** UpdateGroup; a new name is carried into the members' records. */
export async function UpdateGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const groupName = groupNameParam(p);
  const newName = p.get('NewGroupName') ? groupNameParam(p, 'NewGroupName') : undefined;
  const comments = textParam(p, 'NewComments', 128);
  const group = await ram.mutate(async (tx) => {
    const rec = await ram.requireGroup(tx, groupName);
    const next: GroupRecord = { ...rec, comments: comments ?? rec.comments, updatedAt: Date.now() };
    if (newName !== undefined && newName !== rec.groupName) {
      if (idOf(newName) !== idOf(rec.groupName) && (await tx.getDoc(KIND.group, idOf(newName)))) {
        throw new CofferError('EntityAlreadyExists.Group', `The group ${newName} already exists.`);
      }
      next.groupName = newName;
      await tx.deleteDoc(KIND.group, idOf(rec.groupName));
      for (const m of rec.members) {
        const user = (await tx.getDoc<UserRecord>(KIND.user, idOf(m.name)))!;
        user.groups = user.groups.map((g) => (idOf(g.name) === idOf(rec.groupName) ? { ...g, name: newName } : g));
        await tx.putDoc(KIND.user, idOf(user.userName), user);
      }
    }
    await tx.putDoc(KIND.group, idOf(next.groupName), next);
    return next;
  });
  return { Group: groupView(group) };
}

export async function DeleteGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const groupName = groupNameParam(p);
  await ram.mutate(async (tx) => {
    const group = await ram.requireGroup(tx, groupName);
    if (group.members.length) {
      throw new CofferError('DeleteConflict.Group.User', `The group ${group.groupName} cannot be deleted while it has members (${group.members.map((m) => m.name).join(', ')}).`);
    }
    if (group.policies.length) {
      throw new CofferError('DeleteConflict.Group.Policy', `The group ${group.groupName} cannot be deleted while it has policies attached (${group.policies.map((r) => r.name).join(', ')}).`);
    }
    await tx.deleteDoc(KIND.group, idOf(group.groupName));
  });
  return {};
}

export async function ListGroups(ram: RamStore, p: Params): Promise<RpcResult> {
  const q = pageParams(p);
  const groups = await ram.meta.listDocs<GroupRecord>(KIND.group, { after: q.marker, limit: q.maxItems + 1 });
  const page = pageOf(groups, q, (g) => idOf(g.groupName));
  return { Groups: { Group: page.items.map(groupView) }, ...page.paging };
}

export async function AddUserToGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const groupName = groupNameParam(p);
  const userName = userNameParam(p);
  await ram.mutate(async (tx) => {
    const group = await ram.requireGroup(tx, groupName);
    const user = await ram.requireUser(tx, userName);
    if (user.groups.some((g) => idOf(g.name) === idOf(group.groupName))) {
      throw new CofferError('EntityAlreadyExists.User.Group', `The user ${user.userName} is already in the group ${group.groupName}.`);
    }
    if (user.groups.length >= MAX_GROUPS_PER_USER) {
      throw new CofferError('LimitExceeded.User.Group', `A user may be in at most ${MAX_GROUPS_PER_USER} groups.`);
    }
    const joinedAt = Date.now();
    await tx.putDoc(KIND.user, idOf(user.userName), { ...user, groups: [...user.groups, { name: group.groupName, joinedAt }] });
    await tx.putDoc(KIND.group, idOf(group.groupName), { ...group, members: [...group.members, { name: user.userName, joinedAt }] });
  });
  return {};
}

export async function RemoveUserFromGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const groupName = groupNameParam(p);
  const userName = userNameParam(p);
  await ram.mutate(async (tx) => {
    const group = await ram.requireGroup(tx, groupName);
    const user = await ram.requireUser(tx, userName);
    const groups = user.groups.filter((g) => idOf(g.name) !== idOf(group.groupName));
    if (groups.length === user.groups.length) {
      throw new CofferError('EntityNotExist.User.Group', `The user ${user.userName} is not in the group ${group.groupName}.`);
    }
    await tx.putDoc(KIND.user, idOf(user.userName), { ...user, groups });
    await tx.putDoc(KIND.group, idOf(group.groupName), { ...group, members: group.members.filter((m) => idOf(m.name) !== idOf(user.userName)) });
  });
  return {};
}

export async function ListGroupsForUser(ram: RamStore, p: Params): Promise<RpcResult> {
  const user = await ram.requireUser(ram.meta, userNameParam(p));
  const groups = [];
  for (const m of user.groups) {
    const g = await ram.meta.getDoc<GroupRecord>(KIND.group, idOf(m.name));
    if (g) groups.push({ GroupId: g.groupId, GroupName: g.groupName, Comments: g.comments, JoinDate: ramDate(m.joinedAt) });
  }
  return { Groups: { Group: groups } };
}

export async function ListUsersForGroup(ram: RamStore, p: Params): Promise<RpcResult> {
  const group = await ram.requireGroup(ram.meta, groupNameParam(p));
  const q = pageParams(p);
  const members = [...group.members].sort((a, b) => (idOf(a.name) < idOf(b.name) ? -1 : 1)).filter((m) => idOf(m.name) > q.marker);
  const page = pageOf(members.slice(0, q.maxItems + 1), q, (m) => idOf(m.name));
  const users = [];
  for (const m of page.items) {
    const u = await ram.meta.getDoc<UserRecord>(KIND.user, idOf(m.name));
    if (u) users.push({ UserName: u.userName, DisplayName: u.displayName, JoinDate: ramDate(m.joinedAt) });
  }
  return { Users: { User: users }, ...page.paging };
}
