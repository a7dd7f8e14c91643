/**
 * The policy evaluator, table-driven: wildcards (* ?), case-insensitive actions, case-sensitive
 * resources, Deny precedence across statements and policies, NotAction / NotResource, and every
 * condition operator with present and absent keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePolicy, PolicySet } from '../../src/iam/policy';
import type { Decision } from '../../src/common/caller';

type Doc = { Statement: object[] };

const allow = (Action: unknown, Resource: unknown = '*', Condition?: object): object =>
  ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });
const deny = (Action: unknown, Resource: unknown = '*', Condition?: object): object =>
  ({ Effect: 'Deny', Action, Resource, ...(Condition ? { Condition } : {}) });
const doc = (...statements: object[]): Doc => ({ Statement: statements });

interface Case {
  name: string;
  policies: Doc[];
  action: string;
  resource: string;
  /** Condition values the request carries (keys as in the request, compared case-insensitively). */
  values?: Record<string, string>;
  expect: Decision;
}

function evaluate(c: Pick<Case, 'policies' | 'action' | 'resource' | 'values'>): Decision {
  const set = new PolicySet(c.policies.map((d) => parsePolicy(JSON.stringify({ Version: '1', ...d }))));
  const values = new Map(Object.entries(c.values ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return set.evaluate(c.action, c.resource, (key) => values.get(key));
}

function table(cases: Case[]): void {
  for (const c of cases) test(c.name, () => assert.equal(evaluate(c), c.expect));
}

const OBJ = 'acs:oss:*:1234:bucket/dir/file.txt';
const BUCKET = 'acs:oss:*:1234:bucket';
const KEY = 'acs:kms:cn-hangzhou:1416614965930042:key/7d1d2f8c-0000-4000-8000-000000000001';

describe('actions and resources', () => table([
  { name: 'an exact action on any resource is allowed', policies: [doc(allow('oss:GetObject'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'another action is not (default deny)', policies: [doc(allow('oss:GetObject'))], action: 'oss:PutObject', resource: OBJ, expect: null },
  { name: 'no policy at all denies by default', policies: [], action: 'oss:GetObject', resource: OBJ, expect: null },
  { name: 'oss:Get* covers oss:GetBucketInfo', policies: [doc(allow('oss:Get*'))], action: 'oss:GetBucketInfo', resource: BUCKET, expect: 'Allow' },
  { name: 'oss:Get* does not cover oss:PutObject', policies: [doc(allow('oss:Get*'))], action: 'oss:PutObject', resource: OBJ, expect: null },
  { name: 'oss:* does not cover another service', policies: [doc(allow('oss:*'))], action: 'kms:Decrypt', resource: KEY, expect: null },
  { name: '* covers every service', policies: [doc(allow('*'))], action: 'kms:Decrypt', resource: KEY, expect: 'Allow' },
  { name: '? stands for exactly one character', policies: [doc(allow('kms:Li?tKeys'))], action: 'kms:ListKeys', resource: KEY, expect: 'Allow' },
  { name: '? does not stand for two', policies: [doc(allow('kms:Li?tKeys'))], action: 'kms:LisstKeys', resource: KEY, expect: null },
  { name: 'actions compare case-insensitively', policies: [doc(allow('OSS:getobject'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'a list of actions: any may match', policies: [doc(allow(['oss:PutObject', 'oss:GetObject']))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'bucket/* covers objects at any depth', policies: [doc(allow('oss:*', 'acs:oss:*:*:bucket/*'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'bucket/* does not cover the bucket itself', policies: [doc(allow('oss:*', 'acs:oss:*:*:bucket/*'))], action: 'oss:ListObjects', resource: BUCKET, expect: null },
  { name: 'bucket/* does not cover another bucket with that prefix', policies: [doc(allow('oss:*', 'acs:oss:*:*:bucket/*'))], action: 'oss:GetObject', resource: 'acs:oss:*:1234:bucket2/x', expect: null },
  { name: '? in a resource is one character', policies: [doc(allow('oss:*', 'acs:oss:*:*:bucket/dir/file.tx?'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'resources compare case-sensitively', policies: [doc(allow('oss:*', 'acs:oss:*:*:BUCKET/*'))], action: 'oss:GetObject', resource: OBJ, expect: null },
  { name: 'the seeds\' masked account acs:kms:*:141661496593****:* covers that account\'s keys', policies: [doc(allow('kms:Decrypt', 'acs:kms:*:141661496593****:*'))], action: 'kms:Decrypt', resource: KEY, expect: 'Allow' },
  { name: '…and not another account\'s', policies: [doc(allow('kms:Decrypt', 'acs:kms:*:141661496593****:*'))], action: 'kms:Decrypt', resource: 'acs:kms:cn-hangzhou:9999999999999999:key/k', expect: null },
  { name: 'a list of resources: any may match', policies: [doc(allow('oss:*', ['acs:oss:*:*:other/*', 'acs:oss:*:*:bucket/dir/*']))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
]));

describe('Deny precedence', () => table([
  { name: 'an explicit Deny beats an Allow in the same policy', policies: [doc(allow('oss:*'), deny('oss:DeleteObject'))], action: 'oss:DeleteObject', resource: OBJ, expect: 'Deny' },
  { name: 'the Allow still grants what the Deny does not cover', policies: [doc(allow('oss:*'), deny('oss:DeleteObject'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'a Deny in another policy beats the Allow, in either order', policies: [doc(deny('oss:*', 'acs:oss:*:*:bucket/dir/*')), doc(allow('*'))], action: 'oss:GetObject', resource: OBJ, expect: 'Deny' },
  { name: 'a Deny alone is a Deny, not just no grant', policies: [doc(deny('oss:GetObject'))], action: 'oss:GetObject', resource: OBJ, expect: 'Deny' },
  { name: 'a Deny on another resource does not apply', policies: [doc(allow('oss:*'), deny('oss:*', 'acs:oss:*:*:secret/*'))], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'a Deny whose condition fails does not apply', policies: [doc(allow('oss:*'), deny('oss:*', '*', { Bool: { 'acs:SecureTransport': 'false' } }))], action: 'oss:GetObject', resource: OBJ, values: { 'acs:SecureTransport': 'true' }, expect: 'Allow' },
]));

describe('NotAction and NotResource', () => table([
  { name: 'Allow NotAction covers the other actions', policies: [doc({ Effect: 'Allow', NotAction: 'oss:Delete*', Resource: '*' })], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'Allow NotAction leaves out the named ones', policies: [doc({ Effect: 'Allow', NotAction: 'oss:Delete*', Resource: '*' })], action: 'oss:DeleteObject', resource: OBJ, expect: null },
  { name: 'NotAction compares case-insensitively', policies: [doc({ Effect: 'Allow', NotAction: 'OSS:DELETE*', Resource: '*' })], action: 'oss:DeleteObject', resource: OBJ, expect: null },
  { name: 'Deny NotAction denies everything else', policies: [doc(allow('*'), { Effect: 'Deny', NotAction: 'oss:Get*', Resource: '*' })], action: 'oss:PutObject', resource: OBJ, expect: 'Deny' },
  { name: 'Deny NotResource spares the named resource', policies: [doc(allow('oss:*'), { Effect: 'Deny', Action: 'oss:*', NotResource: 'acs:oss:*:*:bucket/dir/*' })], action: 'oss:GetObject', resource: OBJ, expect: 'Allow' },
  { name: 'Deny NotResource denies every other resource', policies: [doc(allow('oss:*'), { Effect: 'Deny', Action: 'oss:*', NotResource: 'acs:oss:*:*:bucket/dir/*' })], action: 'oss:GetObject', resource: 'acs:oss:*:1234:bucket/top.txt', expect: 'Deny' },
  { name: 'Allow NotResource grants outside the named resources only', policies: [doc({ Effect: 'Allow', Action: 'oss:*', NotResource: ['acs:oss:*:*:secret', 'acs:oss:*:*:secret/*'] })], action: 'oss:GetObject', resource: 'acs:oss:*:1234:secret/x', expect: null },
]));

/** One Allow of oss:GetObject under a single condition. */
const only = (condition: object): Doc[] => [doc(allow('oss:GetObject', '*', condition))];

/** A condition checked against requests with the given values (undefined: the key is absent). */
function conditionCases(operator: string, key: string, value: unknown, expectations: Array<[string | undefined, Decision]>): Case[] {
  return expectations.map(([v, expect]) => ({
    name: `${operator} ${key} ${JSON.stringify(value)} with ${v === undefined ? 'no value' : JSON.stringify(v)}`,
    policies: only({ [operator]: { [key]: value } }),
    action: 'oss:GetObject',
    resource: OBJ,
    values: v === undefined ? {} : { [key]: v },
    expect,
  }));
}

describe('string operators', () => table([
  ...conditionCases('StringEquals', 'oss:Prefix', 'docs/', [['docs/', 'Allow'], ['Docs/', null], ['docs', null], [undefined, null]]),
  ...conditionCases('StringEquals', 'oss:Prefix', ['a/', 'b/'], [['b/', 'Allow'], ['c/', null]]),
  ...conditionCases('StringNotEquals', 'oss:Prefix', 'docs/', [['other/', 'Allow'], ['docs/', null], [undefined, 'Allow']]),
  ...conditionCases('StringEqualsIgnoreCase', 'oss:Prefix', 'Docs/', [['DOCS/', 'Allow'], ['other/', null], [undefined, null]]),
  ...conditionCases('StringNotEqualsIgnoreCase', 'oss:Prefix', 'Docs/', [['DOCS/', null], ['other/', 'Allow'], [undefined, 'Allow']]),
  ...conditionCases('StringLike', 'oss:Prefix', 'docs/*', [['docs/2026/', 'Allow'], ['docs/', 'Allow'], ['doc/', null], [undefined, null]]),
  ...conditionCases('StringLike', 'oss:Prefix', 'v?/', [['v1/', 'Allow'], ['v10/', null]]),
  ...conditionCases('StringNotLike', 'oss:Prefix', 'private/*', [['public/', 'Allow'], ['private/x', null], [undefined, 'Allow']]),
  {
    name: 'condition keys compare case-insensitively',
    policies: only({ StringEquals: { 'OSS:PREFIX': 'docs/' } }), action: 'oss:GetObject', resource: OBJ, values: { 'oss:prefix': 'docs/' }, expect: 'Allow',
  },
]));

describe('numeric operators', () => table([
  ...conditionCases('NumericEquals', 'acs:test-count', 10, [['10', 'Allow'], ['10.0', 'Allow'], ['11', null], ['ten', null], [undefined, null]]),
  ...conditionCases('NumericNotEquals', 'acs:test-count', '10', [['11', 'Allow'], ['10', null], [undefined, 'Allow']]),
  ...conditionCases('NumericLessThan', 'acs:test-count', '10', [['9', 'Allow'], ['10', null]]),
  ...conditionCases('NumericLessThanEquals', 'acs:test-count', '10', [['10', 'Allow'], ['11', null]]),
  ...conditionCases('NumericGreaterThan', 'acs:test-count', '10', [['11', 'Allow'], ['10', null]]),
  ...conditionCases('NumericGreaterThanEquals', 'acs:test-count', '10', [['10', 'Allow'], ['9', null]]),
]));

describe('date operators', () => table([
  ...conditionCases('DateLessThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', [['2029-12-31T23:59:59Z', 'Allow'], ['2030-01-01T00:00:00Z', null], [undefined, null]]),
  ...conditionCases('DateLessThanEquals', 'acs:CurrentTime', '2030-01-01T00:00:00Z', [['2030-01-01T00:00:00Z', 'Allow'], ['2030-01-01T00:00:01Z', null]]),
  ...conditionCases('DateGreaterThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', [['2030-01-01T00:00:01.500Z', 'Allow'], ['2029-06-01T00:00:00Z', null]]),
  ...conditionCases('DateGreaterThanEquals', 'acs:CurrentTime', '2030-01-01T00:00:00Z', [['2030-01-01T00:00:00Z', 'Allow'], ['2029-12-31T00:00:00Z', null]]),
  ...conditionCases('DateEquals', 'acs:CurrentTime', '2030-01-01T08:00:00+08:00', [['2030-01-01T00:00:00Z', 'Allow'], ['2030-01-01T08:00:00Z', null]]),
  ...conditionCases('DateNotEquals', 'acs:CurrentTime', '2030-01-01T00:00:00Z', [['2030-01-02T00:00:00Z', 'Allow'], ['2030-01-01T00:00:00Z', null]]),
  ...conditionCases('DateLessThan', 'acs:CurrentTime', 1893456000, [['2029-12-31T23:59:59Z', 'Allow'], ['2030-01-01T00:00:00Z', null]]),
]));

describe('Bool', () => table([
  ...conditionCases('Bool', 'acs:SecureTransport', 'true', [['true', 'Allow'], ['false', null], [undefined, null]]),
  ...conditionCases('Bool', 'acs:SecureTransport', false, [['false', 'Allow'], ['FALSE', 'Allow'], ['true', null]]),
]));

describe('IP address operators', () => table([
  ...conditionCases('IpAddress', 'acs:SourceIp', '10.0.0.0/8', [['10.1.2.3', 'Allow'], ['11.0.0.1', null], ['127.0.0.1', null], ['::ffff:10.9.9.9', 'Allow'], ['not-an-ip', null], [undefined, null]]),
  ...conditionCases('IpAddress', 'acs:SourceIp', ['192.168.1.7', '172.16.0.0/12'], [['192.168.1.7', 'Allow'], ['192.168.1.8', null], ['172.31.255.255', 'Allow'], ['172.32.0.0', null]]),
  ...conditionCases('IpAddress', 'acs:SourceIp', '2001:db8::/32', [['2001:db8::1', 'Allow'], ['2001:db9::1', null], ['10.0.0.1', null]]),
  ...conditionCases('IpAddress', 'acs:SourceIp', '0.0.0.0/0', [['203.0.113.9', 'Allow']]),
  ...conditionCases('NotIpAddress', 'acs:SourceIp', '127.0.0.0/8', [['10.0.0.1', 'Allow'], ['127.0.0.1', null], ['::ffff:127.0.0.1', null], [undefined, 'Allow']]),
]));

describe('combining conditions', () => table([
  {
    name: 'all keys of one operator must hold (both do)',
    policies: only({ StringEquals: { 'oss:Prefix': 'docs/', 'oss:Delimiter': '/' } }),
    action: 'oss:GetObject', resource: OBJ, values: { 'oss:Prefix': 'docs/', 'oss:Delimiter': '/' }, expect: 'Allow',
  },
  {
    name: 'all keys of one operator must hold (one does not)',
    policies: only({ StringEquals: { 'oss:Prefix': 'docs/', 'oss:Delimiter': '/' } }),
    action: 'oss:GetObject', resource: OBJ, values: { 'oss:Prefix': 'docs/' }, expect: null,
  },
  {
    name: 'all operators must hold',
    policies: only({ IpAddress: { 'acs:SourceIp': '10.0.0.0/8' }, Bool: { 'acs:SecureTransport': 'true' } }),
    action: 'oss:GetObject', resource: OBJ, values: { 'acs:SourceIp': '10.0.0.1', 'acs:SecureTransport': 'false' }, expect: null,
  },
  {
    name: 'a statement whose condition fails leaves room for another that grants',
    policies: [doc(allow('oss:GetObject', '*', { Bool: { 'acs:SecureTransport': 'true' } }), allow('oss:GetObject', OBJ))],
    action: 'oss:GetObject', resource: OBJ, values: { 'acs:SecureTransport': 'false' }, expect: 'Allow',
  },
]));

test('the statements covering an action are remembered per action, and the decision stays per request', () => {
  const set = new PolicySet([parsePolicy(JSON.stringify({ Version: '1', Statement: [allow('oss:GetObject', 'acs:oss:*:*:bucket/dir/*')] }))]);
  const none = (): undefined => undefined;
  for (let i = 0; i < 3; i++) {
    assert.equal(set.evaluate('oss:GetObject', OBJ, none), 'Allow');
    assert.equal(set.evaluate('oss:GetObject', 'acs:oss:*:1234:bucket/other', none), null);
    assert.equal(set.evaluate('oss:PutObject', OBJ, none), null);
  }
});

test('readsKeys tells whether any condition reads keys with a prefix', () => {
  const set = new PolicySet([parsePolicy(JSON.stringify({ Version: '1', Statement: [allow('kms:*', '*', { StringEquals: { 'kms:tag/Team': 'a' } })] }))]);
  assert.equal(set.readsKeys('kms:tag/'), true);
  assert.equal(set.readsKeys('oss:'), false);
  assert.equal(new PolicySet([]).readsKeys('kms:tag/'), false);
});
