/** A policy document that cannot be accepted: RAM's MalformedPolicyDocument, naming the fault. */
import { CofferError } from '../../common/errors';

export function malformed(why: string): never {
  throw new CofferError('MalformedPolicyDocument', `The policy document is malformed: ${why}.`);
}
