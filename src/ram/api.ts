/**
 * The RAM API (version 2015-05-01) on the RPC front, as @alicloud/ram20150501 calls it. Only the
 * account root manages RAM: any RAM user gets Forbidden.NoPermission, whatever its policies say.
 */
import { CofferError } from '../common/errors';
import type { Params, RpcResult, RpcService } from '../rpc';
import * as groups from './groups';
import * as policies from './policies';
import type { RamStore } from '../iam/ram/store';
import * as users from './users';

export const RAM_VERSION = '2015-05-01';

type RamAction = (ram: RamStore, p: Params) => Promise<RpcResult>;

/** Every export of these modules is an action, named as in RAM. */
const ACTIONS: Readonly<Record<string, RamAction>> = { ...users, ...groups, ...policies };

export function ramApi(ram: RamStore): RpcService {
  const actions: Record<string, RpcService['actions'][string]> = {};
  for (const [name, action] of Object.entries(ACTIONS)) {
    actions[name] = async (ctx) => {
      if (ctx.caller.principal.kind !== 'root') {
        throw new CofferError('Forbidden.NoPermission', `Only the account root may call ram:${name}.`);
      }
      return action(ram, ctx.params);
    };
  }
  return { actions };
}
