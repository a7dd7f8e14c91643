/** Who makes a request and how it arrived: what every authorization decision reads. */
import type { ConditionValues, PolicySet } from './policy';
import type { Principal } from './principal';

export interface Caller {
  principal: Principal;
  /** A RAM user's policies in force; null for the account root (allowed everything) and anonymous callers. */
  permissions: PolicySet | null;
  /** The peer address: acs:SourceIp. */
  sourceIp: string;
  /** Whether the request came over TLS: acs:SecureTransport. */
  secure: boolean;
  /** Condition values the request itself carries (e.g. oss:x-oss-… headers), by lower-case key. */
  requestValue?: ConditionValues;
}
