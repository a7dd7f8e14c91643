import { invalidArgument } from './auth-errors';
import type { AuthRequest, AuthTarget } from './types';

/** What a signed request asserts, and how to recompute its signature for one target. */
export interface Claim {
  accessKeyId: string;
  /** The signature the client sent. */
  signature: string;
  version: 'v1' | 'v2' | 'v4';
  presigned: boolean;
  region?: string;
  /** Candidate StringToSigns for the target, in trial order. */
  stringsToSign(target: AuthTarget): string[];
  sign(secret: string, stringToSign: string): string;
}

/** First value of a query parameter. */
export function queryParam(req: AuthRequest, name: string): string | undefined {
  return req.query.find(([n]) => n === name)?.[1];
}

export function requiredQueryParam(req: AuthRequest, name: string): string {
  const value = queryParam(req, name);
  if (value === undefined || value === '') {
    throw invalidArgument(`Missing required query parameter ${name}.`, name, value ?? '');
  }
  return value;
}
