/** Param helpers and the error catalogue: the codes, statuses and messages actions rely on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../src/common/errors';
import { renderRpcError } from '../../src/rpc/errors';
import { enumParam, integerParam, requiredParam } from '../../src/rpc/params';

const params = new Map([['KeyId', 'k1'], ['Empty', ''], ['NumberOfBytes', '32'], ['Bad', '3x'], ['KeySpec', 'AES_256']]);

test('requiredParam: a missing or empty param is MissingParameter naming it', () => {
  assert.equal(requiredParam(params, 'KeyId'), 'k1');
  for (const name of ['Nope', 'Empty']) {
    assert.throws(() => requiredParam(params, name), (e: CofferError) => e.code === 'MissingParameter' && e.message.includes(name));
  }
});

test('integerParam: range, syntax, fallback', () => {
  assert.equal(integerParam(params, 'NumberOfBytes', { min: 1, max: 1024 }), 32);
  assert.equal(integerParam(params, 'Nope', { min: 1, max: 1024 }, 16), 16);
  assert.throws(() => integerParam(params, 'Nope', { min: 1, max: 1024 }), { code: 'MissingParameter' });
  assert.throws(() => integerParam(params, 'NumberOfBytes', { min: 1, max: 31 }), (e: CofferError) => e.code === 'InvalidParameter' && e.message.includes('NumberOfBytes'));
  assert.throws(() => integerParam(params, 'Bad', { min: 1, max: 1024 }), (e: CofferError) => e.code === 'InvalidParameter' && e.message.includes('"3x"'));
});

test('enumParam: exact spelling, fallback', () => {
  assert.equal(enumParam(params, 'KeySpec', ['AES_256', 'AES_128']), 'AES_256');
  assert.equal(enumParam(params, 'Nope', ['AES_256', 'AES_128'], 'AES_128'), 'AES_128');
  assert.throws(() => enumParam(new Map([['KeySpec', 'aes_256']]), 'KeySpec', ['AES_256']), { code: 'InvalidParameter' });
});

test('renderRpcError: catalogued codes keep their status; anything else is a 500 InternalFailure that hides the details', () => {
  assert.deepEqual(renderRpcError(new CofferError('Forbidden.KeyNotFound', 'no key k1'), 'R1', 'h:1'), {
    status: 404, body: { RequestId: 'R1', HostId: 'h:1', Code: 'Forbidden.KeyNotFound', Message: 'no key k1' },
  });
  assert.equal(renderRpcError(new CofferError('Rejected.Disabled', ''), 'R', 'h').body.Message, 'The key is disabled.');
  for (const err of [new CofferError('NoSuchKey', 'secret detail'), new Error('secret detail')]) {
    const e = renderRpcError(err, 'R', 'h');
    assert.equal(e.status, 500);
    assert.equal(e.body.Code, 'InternalFailure');
    assert.doesNotMatch(e.body.Message, /secret detail/);
  }
});
