/**
 * RAM users, access keys and policies through the RAM API (ram20150501 client). The page offers
 * them to the account root; the RAM API decides, as for any other caller.
 */
import * as Ram from '@alicloud/ram20150501';
import { bool, oneOf, optStr, readJson, str } from '../http';
import type { Route, RouteContext } from '../router';
import { call, type RamRuntime } from '../upstream';

const POLICY_TYPES = ['System', 'Custom'] as const;
const KEY_STATUSES = ['Active', 'Inactive'] as const;
/** RAM's page size limit: enough for a self-hosted account; the pages say when a list is cut. */
const MAX_ITEMS = 1000;

/** Runs one RAM call as the session's identity, errors mapped to the RAM error; answers the response body. */
function ram<T>(c: RouteContext, fn: (client: Ram.default, runtime: RamRuntime) => Promise<{ body?: T }>): Promise<T> {
  return call('ram', () => fn(c.session.upstream.ram, c.session.upstream.ramRuntime)).then((r) => r.body!);
}

export const ramRoutes: Route[] = [
  {
    method: 'GET', path: '/api/ram/users',
    handle: async (c) => {
      const r = await ram(c, (k, rt) => k.listUsersWithOptions(new Ram.ListUsersRequest({ maxItems: MAX_ITEMS }), rt));
      return { users: r.users?.user ?? [], truncated: !!r.isTruncated };
    },
  },
  {
    method: 'POST', path: '/api/ram/users',
    handle: async (c) => {
      const body = await readJson(c.req);
      const r = await ram(c, (k, rt) => k.createUserWithOptions(new Ram.CreateUserRequest({
        userName: str(body, 'userName'), displayName: optStr(body, 'displayName'), comments: optStr(body, 'comments'),
      }), rt));
      return { user: r.user };
    },
  },
  {
    method: 'GET', path: '/api/ram/users/:userName',
    handle: async (c) => {
      const userName = c.params.userName;
      const [user, keys, policies] = await Promise.all([
        ram(c, (k, rt) => k.getUserWithOptions(new Ram.GetUserRequest({ userName }), rt)),
        ram(c, (k, rt) => k.listAccessKeysWithOptions(new Ram.ListAccessKeysRequest({ userName }), rt)),
        ram(c, (k, rt) => k.listPoliciesForUserWithOptions(new Ram.ListPoliciesForUserRequest({ userName }), rt)),
      ]);
      return { user: user.user, accessKeys: keys.accessKeys?.accessKey ?? [], policies: policies.policies?.policy ?? [] };
    },
  },
  {
    method: 'DELETE', path: '/api/ram/users/:userName',
    handle: async (c) => {
      await ram(c, (k, rt) => k.deleteUserWithOptions(new Ram.DeleteUserRequest({ userName: c.params.userName }), rt));
      return {};
    },
  },
  {
    method: 'POST', path: '/api/ram/users/:userName/access-keys',
    // The only answer that ever carries the new secret: the page shows it once.
    handle: async (c) => {
      const r = await ram(c, (k, rt) => k.createAccessKeyWithOptions(new Ram.CreateAccessKeyRequest({ userName: c.params.userName }), rt));
      return { accessKey: r.accessKey };
    },
  },
  {
    method: 'PUT', path: '/api/ram/users/:userName/access-keys/:accessKeyId',
    handle: async (c) => {
      const status = oneOf(await readJson(c.req), 'status', KEY_STATUSES);
      await ram(c, (k, rt) => k.updateAccessKeyWithOptions(new Ram.UpdateAccessKeyRequest({
        userName: c.params.userName, userAccessKeyId: c.params.accessKeyId, status,
      }), rt));
      return {};
    },
  },
  {
    method: 'DELETE', path: '/api/ram/users/:userName/access-keys/:accessKeyId',
    handle: async (c) => {
      await ram(c, (k, rt) => k.deleteAccessKeyWithOptions(new Ram.DeleteAccessKeyRequest({
        userName: c.params.userName, userAccessKeyId: c.params.accessKeyId,
      }), rt));
      return {};
    },
  },
  {
    method: 'POST', path: '/api/ram/users/:userName/policies',
    handle: async (c) => {
      const body = await readJson(c.req);
      await ram(c, (k, rt) => k.attachPolicyToUserWithOptions(new Ram.AttachPolicyToUserRequest({
        userName: c.params.userName, policyName: str(body, 'policyName'), policyType: oneOf(body, 'policyType', POLICY_TYPES),
      }), rt));
      return {};
    },
  },
  {
    method: 'DELETE', path: '/api/ram/users/:userName/policies/:policyType/:policyName',
    handle: async (c) => {
      await ram(c, (k, rt) => k.detachPolicyFromUserWithOptions(new Ram.DetachPolicyFromUserRequest({
        userName: c.params.userName, policyName: c.params.policyName, policyType: oneOf(c.params, 'policyType', POLICY_TYPES),
      }), rt));
      return {};
    },
  },
  {
    method: 'GET', path: '/api/ram/policies',
    handle: async (c) => {
      const r = await ram(c, (k, rt) => k.listPoliciesWithOptions(new Ram.ListPoliciesRequest({ maxItems: MAX_ITEMS }), rt));
      return { policies: r.policies?.policy ?? [], truncated: !!r.isTruncated };
    },
  },
  {
    method: 'POST', path: '/api/ram/policies',
    handle: async (c) => {
      const body = await readJson(c.req);
      const r = await ram(c, (k, rt) => k.createPolicyWithOptions(new Ram.CreatePolicyRequest({
        policyName: str(body, 'policyName'), policyDocument: str(body, 'policyDocument'), description: optStr(body, 'description'),
      }), rt));
      return { policy: r.policy };
    },
  },
  {
    method: 'GET', path: '/api/ram/policies/:policyType/:policyName',
    handle: async (c) => {
      const r = await ram(c, (k, rt) => k.getPolicyWithOptions(new Ram.GetPolicyRequest({
        policyName: c.params.policyName, policyType: oneOf(c.params, 'policyType', POLICY_TYPES),
      }), rt));
      return { policy: r.policy, document: r.defaultPolicyVersion?.policyDocument ?? r.policy?.policyDocument ?? '' };
    },
  },
  {
    method: 'PUT', path: '/api/ram/policies/Custom/:policyName',
    // A new default version; RAM keeps at most five, so the oldest non-default one goes when full.
    handle: async (c) => {
      const body = await readJson(c.req);
      await ram(c, (k, rt) => k.createPolicyVersionWithOptions(new Ram.CreatePolicyVersionRequest({
        policyName: c.params.policyName, policyDocument: str(body, 'policyDocument'), setAsDefault: bool(body, 'setAsDefault'), rotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
      }), rt));
      return {};
    },
  },
  {
    method: 'DELETE', path: '/api/ram/policies/Custom/:policyName',
    handle: async (c) => {
      await ram(c, (k, rt) => k.deletePolicyWithOptions(new Ram.DeletePolicyRequest({ policyName: c.params.policyName }), rt));
      return {};
    },
  },
];
