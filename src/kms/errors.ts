/** The KMS error codes (reference §2.1) this service raises more than once, with uniform messages. */
import { CofferError } from '../common/errors';

export const missingParameter = (name: string): CofferError =>
  new CofferError('MissingParameter', `The parameter ${name} is required.`);

export const invalidParameter = (name: string, why: string): CofferError =>
  new CofferError('InvalidParameter', `The parameter ${name} is invalid: ${why}.`);

export const keyNotFound = (keyId: string): CofferError =>
  new CofferError('Forbidden.KeyNotFound', `The specified key ${keyId} is not found.`);

export const keyVersionNotFound = (keyId: string, versionId: string): CofferError =>
  new CofferError('Forbidden.KeyVersionNotFound', `The key version ${versionId} of key ${keyId} is not found.`);

export const aliasNotFound = (aliasName: string): CofferError =>
  new CofferError('Forbidden.AliasNotFound', `The specified alias ${aliasName} is not found.`);

export const unsupportedOrigin = (keyId: string): CofferError =>
  new CofferError('Unsupported.Origin', `The key ${keyId} does not have Origin EXTERNAL; key material can be imported only into EXTERNAL keys.`);
