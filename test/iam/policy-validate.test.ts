/**
 * Policy documents are validated when parsed: each bad document is refused with
 * MalformedPolicyDocument and a message naming the fault (and the statement it is in); the
 * seeds' three documents, and the system policies, are accepted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError } from '../../src/common/errors';
import { parsePolicy, SYSTEM_POLICIES } from '../../src/iam/policy';
import { seedPolicies } from '../helpers/seed-policies';

const ok = { Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' };
const withStatement = (s: object): string => JSON.stringify({ Version: '1', Statement: [s] });
const withCondition = (c: unknown): string => withStatement({ ...ok, Condition: c });

const CASES: Array<[name: string, document: string, fault: RegExp]> = [
  ['not JSON', '{"Version": "1", "Statement": [', /not valid JSON/],
  ['JSON but not an object', '[]', /must be a JSON object with Version and Statement/],
  ['Version missing', JSON.stringify({ Statement: [ok] }), /Version must be "1", got nothing/],
  ['Version 2', JSON.stringify({ Version: '2', Statement: [ok] }), /Version must be "1", got "2"/],
  ['Version as a number', JSON.stringify({ Version: 1, Statement: [ok] }), /Version must be "1", got 1/],
  ['an unknown top-level element', JSON.stringify({ Version: '1', Statements: [ok] }), /unknown element "Statements"/],
  ['Statement missing', JSON.stringify({ Version: '1' }), /Statement must be a non-empty list/],
  ['Statement empty', JSON.stringify({ Version: '1', Statement: [] }), /Statement must be a non-empty list/],
  ['Statement an object', JSON.stringify({ Version: '1', Statement: ok }), /Statement must be a non-empty list/],
  ['a statement that is not an object', JSON.stringify({ Version: '1', Statement: ['Allow'] }), /Statement 1 must be an object/],
  ['Effect missing', withStatement({ Action: 'oss:*', Resource: '*' }), /Statement 1: Effect must be "Allow" or "Deny", got nothing/],
  ['Effect lower-case', withStatement({ ...ok, Effect: 'allow' }), /Statement 1: Effect must be "Allow" or "Deny", got "allow"/],
  ['Effect unknown', withStatement({ ...ok, Effect: 'Permit' }), /Effect must be "Allow" or "Deny", got "Permit"/],
  ['Action missing', withStatement({ Effect: 'Allow', Resource: '*' }), /Statement 1: Action \(or NotAction\) is required/],
  ['Action and NotAction', withStatement({ ...ok, NotAction: 'oss:PutObject' }), /Action and NotAction cannot be used together/],
  ['an action without a service', withStatement({ ...ok, Action: 'GetObject' }), /Action "GetObject" is not of the form <service>:<action>/],
  ['an action with a space', withStatement({ ...ok, Action: ['oss:GetObject', 'oss:Get Object'] }), /Action "oss:Get Object" is not of the form/],
  ['an action that is a number', withStatement({ ...ok, Action: 42 }), /Action must be a string or a list of strings/],
  ['an empty action list', withStatement({ ...ok, Action: [] }), /Action lists nothing/],
  ['NotAction malformed', withStatement({ Effect: 'Deny', NotAction: 'oss', Resource: '*' }), /NotAction "oss" is not of the form/],
  ['Resource missing', withStatement({ Effect: 'Allow', Action: 'oss:*' }), /Statement 1: Resource \(or NotResource\) is required/],
  ['Resource and NotResource', withStatement({ ...ok, NotResource: '*' }), /Resource and NotResource cannot be used together/],
  ['a resource that is not an ARN', withStatement({ ...ok, Resource: 'mybucket/*' }), /Resource "mybucket\/\*" is not of the form acs:<service>:<region>:<account>:<resource>/],
  ['an ARN with too few parts', withStatement({ ...ok, Resource: 'acs:oss:*:bucket' }), /Resource "acs:oss:\*:bucket" is not of the form/],
  ['an unknown statement element', withStatement({ ...ok, Actions: 'oss:*' }), /Statement 1: unknown element "Actions"/],
  ['a Principal', withStatement({ ...ok, Principal: { RAM: ['*'] } }), /Principal belongs in resource policies/],
  ['the fault in the second statement', JSON.stringify({ Version: '1', Statement: [ok, { ...ok, Effect: 'Nope' }] }), /Statement 2: Effect/],
  ['Condition not an object', withCondition(['StringEquals']), /Statement 1: Condition must be an object of condition operators/],
  ['an unknown condition operator', withCondition({ StringEqual: { 'oss:Prefix': 'a/' } }), /unknown condition operator "StringEqual"; expected one of StringEquals/],
  ['an operator without keys', withCondition({ StringEquals: {} }), /condition operator StringEquals must map condition keys to values/],
  ['a condition key without a service', withCondition({ StringEquals: { Prefix: 'a/' } }), /condition StringEquals on "Prefix": a condition key has the form <service>:<name>/],
  ['an empty value list', withCondition({ StringEquals: { 'oss:Prefix': [] } }), /condition StringEquals on "oss:Prefix": it lists no value/],
  ['an object as a value', withCondition({ StringEquals: { 'oss:Prefix': { a: 1 } } }), /values must be strings, numbers or Booleans/],
  ['a bad IP address', withCondition({ IpAddress: { 'acs:SourceIp': '10.0.0.300' } }), /IpAddress on "acs:SourceIp": "10.0.0.300" is not an IP address or CIDR block/],
  ['a bad CIDR prefix', withCondition({ NotIpAddress: { 'acs:SourceIp': '10.0.0.0/33' } }), /"10.0.0.0\/33" has an invalid prefix length/],
  ['a bad date', withCondition({ DateLessThan: { 'acs:CurrentTime': 'next week' } }), /DateLessThan on "acs:CurrentTime": "next week" is not an ISO 8601 time/],
  ['a bad number', withCondition({ NumericLessThan: { 'acs:test-count': 'ten' } }), /"ten" is not a number/],
  ['a bad Boolean', withCondition({ Bool: { 'acs:SecureTransport': 'yes' } }), /"yes" is not true or false/],
];

describe('refused documents name their fault', () => {
  for (const [name, document, fault] of CASES) {
    test(name, () => {
      assert.throws(() => parsePolicy(document), (err: unknown) => {
        assert.ok(err instanceof CofferError);
        assert.equal(err.code, 'MalformedPolicyDocument');
        assert.match(err.message, /^The policy document is malformed: /);
        assert.match(err.message, fault);
        return true;
      });
    });
  }
});

test('the seeds\' three policies and the system policies are accepted', () => {
  const seeds = Object.values(seedPolicies()).map((d) => JSON.stringify(d));
  for (const document of [...seeds, ...SYSTEM_POLICIES.map((p) => p.document)]) {
    assert.ok(parsePolicy(document).statements.length > 0, document);
  }
});

test('values may be single or lists, numbers and Booleans count as their text', () => {
  const policy = parsePolicy(withCondition({
    NumericLessThan: { 'acs:test-count': 5 },
    Bool: { 'acs:SecureTransport': true },
    IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '::1'] },
    StringLike: { 'oss:Prefix': 'a/*' },
  }));
  assert.equal(policy.statements[0]!.conditions.length, 4);
});
