/** Who is making a request, as established by src/auth and the credential store. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'root'; accountId: string; accessKeyId: string }
  | { kind: 'user'; accountId: string; accessKeyId: string; userName: string; userId: string };

export const ANONYMOUS: Principal = { kind: 'anonymous' };
