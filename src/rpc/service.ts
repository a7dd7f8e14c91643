/**
 * The seam between the RPC front and the APIs it serves: each API version is one RpcService,
 * a table of actions by name. Plugging in an API = adding `[VERSION]: service` to the services
 * passed to createRpcHandler (src/server/app.ts).
 */
import type { Caller } from '../common/caller';
import type { Params } from './params';

export interface RpcContext {
  requestId: string;
  /** The action's name as dispatched, e.g. GenerateDataKey. */
  action: string;
  /** The API version, e.g. 2016-01-20. */
  version: string;
  /** Query and form params merged, decoded, including the common ones (AccessKeyId, …). */
  params: Params;
  /** The authenticated caller (RPC requests are never anonymous), its policies, address and transport. */
  caller: Caller;
}

/**
 * An action's response fields, rendered as JSON after RequestId. `Code` is reserved for error
 * bodies: pop-core treats any success body carrying a Code as a failure.
 */
export type RpcResult = { readonly [field: string]: unknown; readonly RequestId?: never; readonly Code?: never };

/** Throws CofferError with a code from src/rpc/errors.ts to fail. */
export type RpcAction = (ctx: RpcContext) => Promise<RpcResult>;

export interface RpcService {
  readonly actions: Readonly<Record<string, RpcAction>>;
}

/** API version → the service answering it. */
export type RpcServices = Readonly<Record<string, RpcService>>;
