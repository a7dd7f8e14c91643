/** The Alibaba RPC-style API front (the KMS port): what services and the server wiring use. */
export { createRpcHandler, type RpcHandlerOptions } from './handler';
export { enumParam, integerParam, invalidParameter, isoDate, missingParameter, requiredParam, type Params } from './params';
export type { RpcAction, RpcContext, RpcResult, RpcService, RpcServices } from './service';
