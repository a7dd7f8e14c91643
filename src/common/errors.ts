/**
 * A failure the caller should see, named by its OSS/KMS error code.
 * The core throws these; only the API edges (src/oss, src/kms/api) turn them into HTTP.
 */
export class CofferError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Extra elements for the error body, e.g. { Key: 'a.txt' } or { ArgumentName: 'x-oss-acl' }. */
    readonly extras: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'CofferError';
  }
}

export function isCofferError(err: unknown): err is CofferError {
  return err instanceof CofferError;
}

/**
 * Whether an error says the disk is full: ENOSPC from a file write or fsync, SQLITE_FULL from the
 * embedded metadata store. The OSS edge answers it as InsufficientStorage, not as InternalError.
 */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'SQLITE_FULL' || code === 'EDQUOT';
}
