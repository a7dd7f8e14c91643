/** `coffer ram …`: RAM users, access keys and policies (RAM API 2015-05-01 through @alicloud/ram20150501, on the KMS endpoint). */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { UsageError } from './errors';
import { columns, keyValueLines } from './format';
import { apiBody, ramClient, type RamModule } from './sdk';

type Body = Record<string, any>;
type RamApi = ReturnType<typeof ramClient>['client'];

async function call(ctx: Context, fn: (ram: RamApi, Ram: RamModule) => Promise<unknown>): Promise<Body> {
  const { client, Ram } = ramClient(ctx);
  return apiBody(await fn(client, Ram));
}

/** Every page of a Marker/IsTruncated listing. */
async function allPages(ctx: Context, fetch: (ram: RamApi, Ram: RamModule, marker: string | undefined) => Promise<unknown>, items: (b: Body) => Body[]): Promise<Body[]> {
  const all: Body[] = [];
  let marker: string | undefined;
  do {
    const body = await call(ctx, (ram, Ram) => fetch(ram, Ram, marker));
    all.push(...items(body));
    marker = body.IsTruncated ? body.Marker : undefined;
  } while (marker);
  return all;
}

function ramCommand(ram: Command, usage: string, description: string, ...example: string[]): Command {
  return examples(connectionOptions(ram.command(usage), 'kms').description(description), ...example.map((e) => `coffer ram ${e}`));
}

const STATUSES = ['Active', 'Inactive'];
const POLICY_TYPES = ['Custom', 'System'];

function policyType(value: string | undefined): string | undefined {
  if (value !== undefined && !POLICY_TYPES.includes(value)) throw new UsageError(`--policy-type must be Custom or System, got ${JSON.stringify(value)}`);
  return value;
}

export function registerRam(program: Command): void {
  const ram = program.command('ram').description('manage RAM users, their access keys and policies (RAM API 2015-05-01 on the KMS endpoint)');
  examples(ram, 'coffer ram create-user --user-name alice', 'coffer ram attach-policy --policy-name AliyunOSSReadOnlyAccess --policy-type System --user-name alice', 'coffer ram <command> --help');

  interface UserFlags extends CommonFlags { userName: string; displayName?: string; comments?: string }
  ramCommand(ram, 'create-user', 'create a RAM user (it has no access until a policy is attached)', 'create-user --user-name alice --kms-endpoint http://127.0.0.1:9002')
    .requiredOption('--user-name <name>', 'the user name')
    .option('--display-name <name>', 'display name')
    .option('--comments <text>', 'free text')
    .action(action<UserFlags>(async (ctx) => {
      const f = ctx.flags;
      const body = await call(ctx, (c, Ram) => c.createUser(new Ram.CreateUserRequest({ userName: f.userName, displayName: f.displayName, comments: f.comments })));
      ctx.print(body, () => `Created RAM user ${body.User.UserName} (id ${body.User.UserId}).`);
    }));

  ramCommand(ram, 'list-users', 'list the RAM users', 'list-users')
    .action(action<CommonFlags>(async (ctx) => {
      const users = await allPages(ctx, (c, Ram, marker) => c.listUsers(new Ram.ListUsersRequest({ marker, maxItems: 100 })), (b) => b.Users?.User ?? []);
      ctx.print({ Users: users }, () => users.length ? columns([['UserName', 'UserId', 'CreateDate'], ...users.map((u) => [u.UserName, u.UserId, u.CreateDate ?? ''])]) : 'No RAM users.');
    }));

  interface AccessKeyFlags extends CommonFlags { userName: string }
  ramCommand(ram, 'create-access-key', "create an access key for a RAM user; the secret is shown only now", 'create-access-key --user-name alice')
    .requiredOption('--user-name <name>', 'the user')
    .action(action<AccessKeyFlags>(async (ctx) => {
      const body = await call(ctx, (c, Ram) => c.createAccessKey(new Ram.CreateAccessKeyRequest({ userName: ctx.flags.userName })));
      const k = body.AccessKey;
      ctx.print(body, () => `${keyValueLines([['AccessKeyId', k.AccessKeyId], ['AccessKeySecret', k.AccessKeySecret], ['Status', k.Status]], 16)}\nKeep the secret now: it cannot be shown again.`);
    }));

  interface UpdateKeyFlags extends CommonFlags { userName: string; userAccessKeyId: string; status: string }
  ramCommand(ram, 'update-access-key', "activate or deactivate a RAM user's access key", 'update-access-key --user-name alice --user-access-key-id LTAI… --status Inactive')
    .requiredOption('--user-name <name>', 'the user')
    .requiredOption('--user-access-key-id <id>', 'the access key to change')
    .requiredOption('--status <status>', 'Active or Inactive')
    .action(action<UpdateKeyFlags>(async (ctx) => {
      const f = ctx.flags;
      if (!STATUSES.includes(f.status)) throw new UsageError(`--status must be Active or Inactive, got ${JSON.stringify(f.status)}`);
      const body = await call(ctx, (c, Ram) => c.updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: f.userName, userAccessKeyId: f.userAccessKeyId, status: f.status })));
      ctx.print(body, () => `Access key ${f.userAccessKeyId} of ${f.userName} is now ${f.status}.`);
    }));

  interface PolicyFlags extends CommonFlags { policyName: string; document: string; description?: string }
  ramCommand(ram, 'create-policy', 'create a custom policy from a JSON policy document', 'create-policy --policy-name read-examplebucket --document ./policy.json')
    .requiredOption('--policy-name <name>', 'the policy name')
    .requiredOption('--document <file>', 'the policy document (JSON: Version "1", Statement [...])')
    .option('--description <text>', 'free text')
    .action(action<PolicyFlags>(async (ctx) => {
      const f = ctx.flags;
      const document = await fs.readFile(f.document, 'utf8').catch((err: Error) => {
        throw new UsageError(`cannot read --document ${f.document}: ${err.message}`);
      });
      try {
        JSON.parse(document);
      } catch (err) {
        throw new UsageError(`--document ${f.document} is not JSON: ${(err as Error).message}`);
      }
      const body = await call(ctx, (c, Ram) => c.createPolicy(new Ram.CreatePolicyRequest({ policyName: f.policyName, policyDocument: document, description: f.description })));
      ctx.print(body, () => `Created policy ${body.Policy.PolicyName} (${body.Policy.PolicyType}).`);
    }));

  interface AttachFlags extends CommonFlags { policyName: string; userName: string; policyType: string }
  const attachment = (name: string, description: string, done: string, fn: (c: RamApi, Ram: RamModule, f: AttachFlags) => Promise<unknown>): Command =>
    ramCommand(ram, name, description, `${name} --policy-name read-examplebucket --user-name alice`)
      .requiredOption('--policy-name <name>', 'the policy')
      .requiredOption('--user-name <name>', 'the user')
      .option('--policy-type <type>', 'Custom or System', 'Custom')
      .action(action<AttachFlags>(async (ctx) => {
        policyType(ctx.flags.policyType);
        const body = await call(ctx, (c, Ram) => fn(c, Ram, ctx.flags));
        ctx.print(body, () => `${done} ${ctx.flags.policyType} policy ${ctx.flags.policyName} ${name === 'attach-policy' ? 'to' : 'from'} ${ctx.flags.userName}.`);
      }));
  attachment('attach-policy', 'attach a policy to a RAM user', 'Attached', (c, Ram, f) =>
    c.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyName: f.policyName, policyType: f.policyType, userName: f.userName })));
  attachment('detach-policy', 'detach a policy from a RAM user', 'Detached', (c, Ram, f) =>
    c.detachPolicyFromUser(new Ram.DetachPolicyFromUserRequest({ policyName: f.policyName, policyType: f.policyType, userName: f.userName })));

  interface ListPoliciesFlags extends CommonFlags { policyType?: string }
  ramCommand(ram, 'list-policies', 'list policies, custom and system', 'list-policies --policy-type Custom')
    .option('--policy-type <type>', 'only Custom or only System policies')
    .action(action<ListPoliciesFlags>(async (ctx) => {
      const type = policyType(ctx.flags.policyType);
      const policies = await allPages(ctx, (c, Ram, marker) => c.listPolicies(new Ram.ListPoliciesRequest({ policyType: type, marker, maxItems: 100 })), (b) => b.Policies?.Policy ?? []);
      ctx.print({ Policies: policies }, () => policies.length
        ? columns([['PolicyName', 'PolicyType', 'AttachmentCount', 'Description'], ...policies.map((p) => [p.PolicyName, p.PolicyType, String(p.AttachmentCount ?? ''), p.Description ?? ''])])
        : 'No policies.');
    }));
}
