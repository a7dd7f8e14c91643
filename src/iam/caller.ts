/** The Caller (common/caller.ts) of an HTTP request, as both API fronts build it. */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { AccessKey } from './credentials';
import type { Caller, ConditionValues } from '../common/caller';
import { ANONYMOUS } from '../common/principal';

/** The caller of a request authenticated with `key` (null: anonymous). */
export function callerOf(raw: IncomingMessage, key: AccessKey | null, requestValue?: ConditionValues): Caller {
  return {
    principal: key?.principal ?? ANONYMOUS,
    permissions: key?.permissions ?? null,
    sourceIp: raw.socket.remoteAddress ?? '',
    secure: raw.socket instanceof TLSSocket,
    requestValue,
  };
}
