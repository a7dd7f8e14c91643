/** `coffer kms …`: the KMS 2016-01-20 API through @alicloud/kms20160120, on the KMS endpoint. */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { UsageError } from './errors';
import { columns, keyValueLines, parseCount } from './format';
import { apiBody, kmsClient, type KmsModule } from './sdk';

type Body = Record<string, any>;
type KmsApi = ReturnType<typeof kmsClient>['client'];

/** Calls the KMS and returns the response as the API sends it. */
async function call(ctx: Context, fn: (kms: KmsApi, Kms: KmsModule) => Promise<unknown>): Promise<Body> {
  const { client, Kms } = kmsClient(ctx);
  return apiBody(await fn(client, Kms));
}

const EXAMPLE_ENDPOINT = '--kms-endpoint http://127.0.0.1:9002';

function kmsCommand(kms: Command, usage: string, description: string, ...example: string[]): Command {
  const cmd = connectionOptions(kms.command(usage), 'kms').description(description);
  return examples(cmd, ...example.map((e) => `coffer kms ${e}`));
}

const metadataLines = (m: Body): string =>
  keyValueLines(Object.entries(m).filter(([, v]) => v !== '' && v !== undefined && v !== null).map(([k, v]) => [k, String(v)]), 20);

/** Lists every page of a List* action: PageNumber from 1 until TotalCount is reached. */
async function allPages(ctx: Context, fetch: (kms: KmsApi, Kms: KmsModule, page: number) => Promise<unknown>, items: (b: Body) => Body[]): Promise<Body[]> {
  const all: Body[] = [];
  for (let page = 1; ; page++) {
    const body = await call(ctx, (kms, Kms) => fetch(kms, Kms, page));
    const found = items(body);
    all.push(...found);
    if (!found.length || all.length >= Number(body.TotalCount)) return all;
  }
}

/** --context '{"k":"v"}': a JSON object of strings. */
function encryptionContext(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--context must be a JSON object, got ${JSON.stringify(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new UsageError('--context must be a JSON object whose values are strings, e.g. {"bucket":"examplebucket"}');
  }
  return parsed as Record<string, string>;
}

function base64Arg(value: string, flag: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0 || value === '') throw new UsageError(`${flag} must be base64, got ${JSON.stringify(value)}`);
  return value;
}

interface KeyFlags extends CommonFlags {
  keyId: string;
}

export function registerKms(program: Command): void {
  const kms = program.command('kms').description('manage KMS keys and use them (KMS API 2016-01-20 on the KMS endpoint)');
  examples(kms, 'coffer kms create-key --origin EXTERNAL', 'coffer kms import-key-material --key-id 0b6f… --material ./key.bin', 'coffer kms <command> --help');

  interface CreateFlags extends CommonFlags { keySpec?: string; keyUsage?: string; origin?: string; description?: string; rotationInterval?: string; protectionLevel?: string }
  kmsCommand(kms, 'create-key', 'create a customer master key (CMK); --origin EXTERNAL creates one without material, for import-key-material',
    `create-key --description "OSS data" ${EXAMPLE_ENDPOINT}`, 'create-key --origin EXTERNAL --key-spec Aliyun_AES_256', 'create-key --rotation-interval 365d')
    .option('--key-spec <spec>', 'Aliyun_AES_256 (default) or Aliyun_SM4')
    .option('--key-usage <usage>', 'ENCRYPT/DECRYPT (default)')
    .option('--origin <origin>', 'Aliyun_KMS (default: KMS generates the material) or EXTERNAL (you import it)')
    .option('--protection-level <level>', 'SOFTWARE (default)')
    .option('--description <text>', 'free text')
    .option('--rotation-interval <interval>', 'turn on automatic rotation at this interval, e.g. 365d (7d to 730d)')
    .action(action<CreateFlags>(async (ctx) => {
      const f = ctx.flags;
      const body = await call(ctx, (c, Kms) => c.createKey(new Kms.CreateKeyRequest({
        keySpec: f.keySpec, keyUsage: f.keyUsage, origin: f.origin, protectionLevel: f.protectionLevel, description: f.description,
        ...(f.rotationInterval ? { enableAutomaticRotation: true, rotationInterval: f.rotationInterval } : {}),
      })));
      const m = body.KeyMetadata;
      ctx.print(body, () => `Created key ${m.KeyId} (${m.KeySpec}, ${m.Origin}, ${m.KeyState})${m.KeyState === 'PendingImport' ? '; import its material with coffer kms import-key-material' : ''}.`);
    }));

  kmsCommand(kms, 'list-keys', 'list the CMKs of the account', `list-keys ${EXAMPLE_ENDPOINT}`)
    .action(action<CommonFlags>(async (ctx) => {
      const keys = await allPages(ctx, (c, Kms, page) => c.listKeys(new Kms.ListKeysRequest({ pageNumber: page, pageSize: 100 })), (b) => b.Keys?.Key ?? []);
      ctx.print({ Keys: keys, TotalCount: keys.length }, () => keys.length ? columns([['KeyId', 'KeyArn'], ...keys.map((k) => [k.KeyId, k.KeyArn])]) : 'No keys.');
    }));

  kmsCommand(kms, 'describe-key', "show a CMK's metadata: state, origin, spec, rotation, deletion date", 'describe-key --key-id 0b6f…')
    .requiredOption('--key-id <id>', 'key id or alias')
    .action(action<KeyFlags>(async (ctx) => {
      const body = await call(ctx, (c, Kms) => c.describeKey(new Kms.DescribeKeyRequest({ keyId: ctx.flags.keyId })));
      ctx.print(body, () => metadataLines(body.KeyMetadata));
    }));

  const stateCommand = (name: string, description: string, done: string, fn: (c: KmsApi, Kms: KmsModule, keyId: string) => Promise<unknown>): Command =>
    kmsCommand(kms, name, description, `${name} --key-id 0b6f…`)
      .requiredOption('--key-id <id>', 'key id or alias')
      .action(action<KeyFlags>(async (ctx) => {
        const body = await call(ctx, (c, Kms) => fn(c, Kms, ctx.flags.keyId));
        ctx.print(body, () => `${done} ${ctx.flags.keyId}.`);
      }));
  stateCommand('enable', 'enable a disabled CMK', 'Enabled', (c, Kms, keyId) => c.enableKey(new Kms.EnableKeyRequest({ keyId })));
  stateCommand('disable', 'disable a CMK: it stays, but encrypts and decrypts nothing until enabled', 'Disabled', (c, Kms, keyId) => c.disableKey(new Kms.DisableKeyRequest({ keyId })));
  stateCommand('cancel-deletion', 'cancel a scheduled deletion; the CMK is usable again', 'Cancelled the deletion of', (c, Kms, keyId) => c.cancelKeyDeletion(new Kms.CancelKeyDeletionRequest({ keyId })));

  interface DeletionFlags extends KeyFlags { pendingWindowDays: string }
  kmsCommand(kms, 'schedule-deletion', 'schedule a CMK for deletion after a waiting period; what it encrypted becomes unreadable for good then',
    'schedule-deletion --key-id 0b6f… --pending-window-days 7')
    .requiredOption('--key-id <id>', 'key id')
    .option('--pending-window-days <days>', 'days before the deletion, 7 to 366', '30')
    .action(action<DeletionFlags>(async (ctx) => {
      const days = parseCount(ctx.flags.pendingWindowDays, '--pending-window-days', 7, 366);
      const body = await call(ctx, (c, Kms) => c.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: ctx.flags.keyId, pendingWindowInDays: days })));
      ctx.print(body, () => `Scheduled ${ctx.flags.keyId} for deletion in ${days} day(s); coffer kms cancel-deletion undoes it until then.`);
    }));

  interface AliasFlags extends KeyFlags { aliasName: string }
  kmsCommand(kms, 'create-alias', 'give a CMK an alias (alias/…), usable wherever a key id is', 'create-alias --alias-name alias/oss-data --key-id 0b6f…')
    .requiredOption('--alias-name <alias>', 'alias/ followed by letters, digits, _ / -')
    .requiredOption('--key-id <id>', 'key id')
    .action(action<AliasFlags>(async (ctx) => {
      const body = await call(ctx, (c, Kms) => c.createAlias(new Kms.CreateAliasRequest({ aliasName: ctx.flags.aliasName, keyId: ctx.flags.keyId })));
      ctx.print(body, () => `Created alias ${ctx.flags.aliasName} for ${ctx.flags.keyId}.`);
    }));

  kmsCommand(kms, 'list-aliases', 'list the aliases of the account', 'list-aliases')
    .action(action<CommonFlags>(async (ctx) => {
      const aliases = await allPages(ctx, (c, Kms, page) => c.listAliases(new Kms.ListAliasesRequest({ pageNumber: page, pageSize: 100 })), (b) => b.Aliases?.Alias ?? []);
      ctx.print({ Aliases: aliases, TotalCount: aliases.length }, () => aliases.length ? columns([['AliasName', 'KeyId'], ...aliases.map((a) => [a.AliasName, a.KeyId])]) : 'No aliases.');
    }));

  kmsCommand(kms, 'rotate', 'rotate a CMK now (CreateKeyVersion): new data keys use the new version, old ciphertexts still decrypt', 'rotate --key-id 0b6f…')
    .requiredOption('--key-id <id>', 'key id')
    .action(action<KeyFlags>(async (ctx) => {
      const body = await call(ctx, (c, Kms) => c.createKeyVersion(new Kms.CreateKeyVersionRequest({ keyId: ctx.flags.keyId })));
      ctx.print(body, () => `Rotated ${ctx.flags.keyId}: version ${body.KeyVersion.KeyVersionId} is now primary.`);
    }));

  interface EncryptFlags extends KeyFlags { plaintext: string; context?: string }
  kmsCommand(kms, 'encrypt', 'encrypt up to 6 KiB with a CMK; prints the CiphertextBlob', `encrypt --key-id 0b6f… --plaintext "$(printf secret | base64)" --context '{"app":"demo"}'`)
    .requiredOption('--key-id <id>', 'key id or alias')
    .requiredOption('--plaintext <base64>', 'the data, base64-encoded')
    .option('--context <json>', 'encryption context, a JSON object of strings; decrypt needs the same')
    .action(action<EncryptFlags>(async (ctx) => {
      const plaintext = base64Arg(ctx.flags.plaintext, '--plaintext');
      const body = await call(ctx, (c, Kms) => c.encrypt(new Kms.EncryptRequest({ keyId: ctx.flags.keyId, plaintext, encryptionContext: encryptionContext(ctx.flags.context) })));
      ctx.print(body, () => body.CiphertextBlob);
    }));

  interface DecryptFlags extends CommonFlags { ciphertextBlob: string; context?: string }
  kmsCommand(kms, 'decrypt', 'decrypt a CiphertextBlob; prints the plaintext, base64-encoded', 'decrypt --ciphertext-blob "$BLOB" --context \'{"app":"demo"}\' | base64 -d')
    .requiredOption('--ciphertext-blob <blob>', 'what kms encrypt printed')
    .option('--context <json>', 'the encryption context given to encrypt')
    .action(action<DecryptFlags>(async (ctx) => {
      const ciphertextBlob = base64Arg(ctx.flags.ciphertextBlob, '--ciphertext-blob');
      const body = await call(ctx, (c, Kms) => c.decrypt(new Kms.DecryptRequest({ ciphertextBlob, encryptionContext: encryptionContext(ctx.flags.context) })));
      ctx.print(body, () => body.Plaintext);
    }));

  interface ImportFlags extends KeyFlags { material: string; expireUnix: string }
  kmsCommand(kms, 'import-key-material', 'import your own key material (BYOK) into an EXTERNAL CMK; it is wrapped here and never sent in the clear',
    'import-key-material --key-id 0b6f… --material ./key.bin      # key.bin: openssl rand -out key.bin 32')
    .requiredOption('--key-id <id>', 'an EXTERNAL key (coffer kms create-key --origin EXTERNAL)')
    .requiredOption('--material <file>', 'the raw material: 32 bytes for Aliyun_AES_256, 16 for Aliyun_SM4')
    .option('--expire-unix <seconds>', 'the material expires at this Unix time (0: never)', '0')
    .addHelpText('after', '\nGetParametersForImport hands out a one-time RSA-2048 public key and import token; the material is\n' +
      'wrapped with it (RSAES-OAEP, SHA-256) on this machine, and only the wrapped material is sent.')
    .action(action<ImportFlags>(async (ctx) => {
      const expireUnix = parseCount(ctx.flags.expireUnix, '--expire-unix', 0, Number.MAX_SAFE_INTEGER);
      const material = await fs.readFile(ctx.flags.material).catch((err: Error) => {
        throw new UsageError(`cannot read --material ${ctx.flags.material}: ${err.message}`);
      });
      const { client, Kms } = kmsClient(ctx);
      const params = apiBody(await client.getParametersForImport(new Kms.GetParametersForImportRequest({
        keyId: ctx.flags.keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
      })));
      const publicKey = createPublicKey({ key: Buffer.from(params.PublicKey, 'base64'), format: 'der', type: 'spki' });
      const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
      material.fill(0);
      const body = apiBody(await client.importKeyMaterial(new Kms.ImportKeyMaterialRequest({
        keyId: ctx.flags.keyId, encryptedKeyMaterial: wrapped.toString('base64'), importToken: params.ImportToken, keyMaterialExpireUnix: expireUnix,
      })));
      ctx.print(body, () => `Imported key material into ${ctx.flags.keyId}${expireUnix ? `; it expires at ${new Date(expireUnix * 1000).toISOString()}` : ''}.`);
    }));
}
