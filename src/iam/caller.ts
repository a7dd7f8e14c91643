/** Who makes a request and how it arrived: what every authorization decision reads. */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { AccessKey } from './credentials';
import type { ConditionValues, PolicySet } from './policy';
import { ANONYMOUS, type Principal } from '../common/principal';

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

/** The caller of an HTTP request authenticated with `key` (null: anonymous), as both API fronts see it. */
export function callerOf(raw: IncomingMessage, key: AccessKey | null, requestValue?: ConditionValues): Caller {
  return {
    principal: key?.principal ?? ANONYMOUS,
    permissions: key?.permissions ?? null,
    sourceIp: raw.socket.remoteAddress ?? '',
    secure: raw.socket instanceof TLSSocket,
    requestValue,
  };
}
