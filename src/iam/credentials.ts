/**
 * Access keys and the principals they stand for. The account root's key pair comes from the
 * server configuration; secrets are compared only inside src/auth, in constant time.
 */
import type { Principal } from './principal';

export interface AccessKey { accessKeyId: string; secret: string; principal: Principal }

export class CredentialStore {
  private readonly keys = new Map<string, AccessKey>();

  constructor(readonly accountId: string, root: { accessKeyId: string; secret: string }) {
    this.keys.set(root.accessKeyId, {
      accessKeyId: root.accessKeyId,
      secret: root.secret,
      principal: { kind: 'root', accountId, accessKeyId: root.accessKeyId },
    });
  }

  async lookup(accessKeyId: string): Promise<AccessKey | null> {
    return this.keys.get(accessKeyId) ?? null;
  }
}
