/**
 * authorize(): the account root, RAM users and anonymous callers against bucket and object ACLs,
 * table-driven; and the global condition keys taken from the caller (acs:SourceIp,
 * acs:SecureTransport, acs:CurrentTime) next to the operation's own values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError } from '../../src/common/errors';
import { authorize, decide } from '../../src/iam/authorize';
import type { Caller } from '../../src/common/caller';
import { parsePolicy, PolicySet } from '../../src/iam/policy';
import type { BucketAcl, BucketRecord, ObjectAcl } from '../../src/store/types';

const ACCOUNT = '1234567890123456';
const RES = `acs:oss:*:${ACCOUNT}:b/k`;

const bucket = (acl: BucketAcl, owner = ACCOUNT): BucketRecord => ({
  name: 'b', owner, region: 'cn-hangzhou', acl, storageClass: 'Standard', dataRedundancyType: 'LRS', createdAt: 0, encryption: null,
});

const policies = (...statements: object[]): PolicySet => new PolicySet([parsePolicy(JSON.stringify({ Version: '1', Statement: statements }))]);

function caller(kind: 'root' | 'user' | 'anonymous', permissions: PolicySet | null = null, extra: Partial<Caller> = {}): Caller {
  const principal = kind === 'anonymous'
    ? { kind }
    : kind === 'root' ? { kind, accountId: ACCOUNT, accessKeyId: 'LTAIroot' } : { kind, accountId: ACCOUNT, accessKeyId: 'LTAIuser', userName: 'u', userId: '200000000000000001' };
  return { principal, permissions: kind === 'user' ? permissions ?? new PolicySet([]) : null, sourceIp: '127.0.0.1', secure: false, ...extra };
}

const allowGet = policies({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b/*' });
const denyGet = policies({ Effect: 'Deny', Action: 'oss:GetObject', Resource: '*' });

function outcome(c: Caller, action: string, b: BucketRecord | null, objectAcl?: ObjectAcl): 'allowed' | string {
  try {
    authorize(c, action, RES, { bucket: b, objectAcl });
    return 'allowed';
  } catch (err) {
    assert.ok(err instanceof CofferError);
    assert.equal(err.code, 'AccessDenied');
    return err.message;
  }
}

describe('who may do what, with which ACL', () => {
  const cases: Array<[string, Caller, string, BucketRecord | null, ObjectAcl | undefined, RegExp | 'allowed']> = [
    ['the root, its own private bucket', caller('root'), 'oss:PutObject', bucket('private'), undefined, 'allowed'],
    ['the root, a bucket of another account', caller('root'), 'oss:GetObject', bucket('public-read', '999'), undefined, /forbidden/],
    ['the root, no bucket (ListBuckets, PutBucket)', caller('root'), 'oss:ListBuckets', null, undefined, 'allowed'],
    ['anonymous, private bucket', caller('anonymous'), 'oss:GetObject', bucket('private'), undefined, /because of bucket acl/],
    ['anonymous, public-read bucket, read', caller('anonymous'), 'oss:GetObject', bucket('public-read'), undefined, 'allowed'],
    ['anonymous, public-read bucket, write', caller('anonymous'), 'oss:PutObject', bucket('public-read'), undefined, /because of bucket acl/],
    ['anonymous, public-read-write bucket, write', caller('anonymous'), 'oss:PutObject', bucket('public-read-write'), undefined, 'allowed'],
    ['anonymous, private object in a public bucket', caller('anonymous'), 'oss:GetObject', bucket('public-read'), 'private', /because of bucket acl/],
    ['anonymous, public object in a private bucket', caller('anonymous'), 'oss:GetObject', bucket('private'), 'public-read', 'allowed'],
    ['a user with an Allow, private bucket', caller('user', allowGet), 'oss:GetObject', bucket('private'), undefined, 'allowed'],
    ['a user without an Allow, private bucket', caller('user'), 'oss:GetObject', bucket('private'), undefined, /no RAM policy allows oss:GetObject on acs:oss:\*:1234567890123456:b\/k/],
    ['a user without an Allow, public-read bucket', caller('user'), 'oss:GetObject', bucket('public-read'), undefined, 'allowed'],
    ['a user without an Allow, public-read bucket, write', caller('user'), 'oss:PutObject', bucket('public-read'), undefined, /no RAM policy allows oss:PutObject/],
    ['a user with a Deny, public-read bucket', caller('user', denyGet), 'oss:GetObject', bucket('public-read'), undefined, /explicit Deny covers oss:GetObject/],
    ['a user with a Deny, public object', caller('user', denyGet), 'oss:GetObject', bucket('private'), 'public-read-write', /explicit Deny/],
    ['a user without an Allow, no bucket', caller('user'), 'oss:ListBuckets', null, undefined, /no RAM policy allows oss:ListBuckets/],
  ];
  for (const [name, c, action, b, objectAcl, expected] of cases) {
    test(name, () => {
      const got = outcome(c, action, b, objectAcl);
      if (expected === 'allowed') assert.equal(got, 'allowed');
      else assert.match(got, expected);
    });
  }
});

describe('condition values come from the caller and the operation', () => {
  test('acs:SourceIp is the peer address, IPv4-mapped addresses as IPv4', () => {
    const p = policies({ Effect: 'Allow', Action: 'oss:*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '192.168.0.0/16' } } });
    assert.equal(decide(caller('user', p, { sourceIp: '::ffff:192.168.3.4' }), 'oss:GetObject', RES), 'Allow');
    assert.equal(decide(caller('user', p, { sourceIp: '192.168.3.4' }), 'oss:GetObject', RES), 'Allow');
    assert.equal(decide(caller('user', p, { sourceIp: '127.0.0.1' }), 'oss:GetObject', RES), null);
  });

  test('acs:SecureTransport is whether the request came over TLS', () => {
    const p = policies({ Effect: 'Allow', Action: 'oss:*', Resource: '*', Condition: { Bool: { 'acs:SecureTransport': 'true' } } });
    assert.equal(decide(caller('user', p, { secure: true }), 'oss:GetObject', RES), 'Allow');
    assert.equal(decide(caller('user', p, { secure: false }), 'oss:GetObject', RES), null);
  });

  test('acs:CurrentTime is the time of the check', () => {
    const window = (from: Date, to: Date): PolicySet => policies({
      Effect: 'Allow', Action: 'oss:*', Resource: '*',
      Condition: { DateGreaterThan: { 'acs:CurrentTime': from.toISOString() }, DateLessThan: { 'acs:CurrentTime': to.toISOString() } },
    });
    const now = Date.now();
    assert.equal(decide(caller('user', window(new Date(now - 60_000), new Date(now + 60_000))), 'oss:GetObject', RES), 'Allow');
    assert.equal(decide(caller('user', window(new Date(now + 60_000), new Date(now + 120_000))), 'oss:GetObject', RES), null);
  });

  test('operation values (lower-case keys) come before the request\'s own, which come last', () => {
    const p = policies({ Effect: 'Allow', Action: 'oss:*', Resource: '*', Condition: { StringEquals: { 'oss:Prefix': 'a/', 'oss:x-oss-acl': 'private' } } });
    const c = caller('user', p, { requestValue: (key) => ({ 'oss:x-oss-acl': 'private', 'oss:prefix': 'ignored/' })[key] });
    assert.equal(decide(c, 'oss:ListObjects', RES, { 'oss:prefix': 'a/' }), 'Allow');
    assert.equal(decide(c, 'oss:ListObjects', RES, { 'oss:prefix': 'b/' }), null);
    assert.equal(decide(c, 'oss:ListObjects', RES), null);
  });

  test('the root is allowed without policies; an anonymous caller is granted nothing by policy', () => {
    assert.equal(decide(caller('root'), 'kms:Decrypt', 'acs:kms:*:*:key/x'), 'Allow');
    assert.equal(decide(caller('anonymous'), 'oss:GetObject', RES), null);
  });
});
