/**
 * Who makes a request and how it arrived: what every authorization decision reads. It lives at
 * the bottom because the object service (core/) and the KMS carry it to the checks they cannot
 * make themselves; only iam/ builds one (callerOf) and reads its permissions.
 */
import type { Principal } from './principal';

/** The request's value for a condition key (lower-case), or undefined when it has none. */
export type ConditionValues = (key: string) => string | undefined;

/** 'Allow' or 'Deny' from a matching statement; null when none matches (implicit deny). */
export type Decision = 'Allow' | 'Deny' | null;

/** The policies in force for a principal, evaluated per request (iam's PolicySet). */
export interface Permissions {
  /** Whether a condition reads a key starting with `prefix` (lower-case), so its values are worth fetching. */
  readsKeys(prefix: string): boolean;
  evaluate(action: string, resource: string, values: ConditionValues): Decision;
}

export interface Caller {
  principal: Principal;
  /** A RAM user's policies in force; null for the account root (allowed everything) and anonymous callers. */
  permissions: Permissions | null;
  /** The peer address: acs:SourceIp. */
  sourceIp: string;
  /** Whether the request came over TLS: acs:SecureTransport. */
  secure: boolean;
  /** Condition values the request itself carries (e.g. oss:x-oss-… headers), by lower-case key. */
  requestValue?: ConditionValues;
}
