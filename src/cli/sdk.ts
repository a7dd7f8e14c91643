/**
 * The Alibaba Cloud SDK clients for the KMS endpoint: kms20160120 (KMS), ram20150501 (RAM) and
 * pop-core (the Coffer admin API). Each is loaded on first use: a command pays only for its own.
 */
import type KmsClient from '@alicloud/kms20160120';
import type RamClient from '@alicloud/ram20150501';
import type RPCClient from '@alicloud/pop-core';
import type { Context } from './context';

export type KmsModule = typeof import('@alicloud/kms20160120');
export type RamModule = typeof import('@alicloud/ram20150501');

/** Host and protocol as the tea/darabonba clients take them. */
function teaConfig(ctx: Context): Record<string, unknown> {
  const url = ctx.endpoint('kms');
  return { endpoint: url.host, protocol: url.protocol.slice(0, -1), regionId: ctx.settings().region!.value, ...ctx.credentials() };
}

export function kmsClient(ctx: Context): { client: KmsClient; Kms: KmsModule } {
  const Kms: KmsModule = require('@alicloud/kms20160120');
  // The client reads a plain object; its declared Config type is a tea Model class.
  return { client: new Kms.default(teaConfig(ctx) as unknown as ConstructorParameters<typeof KmsClient>[0]), Kms };
}

export function ramClient(ctx: Context): { client: RamClient; Ram: RamModule } {
  const Ram: RamModule = require('@alicloud/ram20150501');
  return { client: new Ram.default(teaConfig(ctx) as unknown as ConstructorParameters<typeof RamClient>[0]), Ram };
}

export function popClient(ctx: Context, apiVersion: string): RPCClient {
  const Pop: typeof RPCClient = require('@alicloud/pop-core');
  return new Pop({ endpoint: ctx.endpoint('kms').origin, apiVersion, ...ctx.credentials() });
}

/**
 * A response as the API sends it (PascalCase, with RequestId): 1.x tea clients return the
 * fields at the top level, 2.x darabonba clients under `body`; both models map back with toMap().
 */
export function apiBody(response: unknown): Record<string, any> {
  const r = response as { body?: { toMap(): Record<string, any> }; toMap(): Record<string, any> };
  return (r.body ?? r).toMap();
}
