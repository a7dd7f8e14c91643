/**
 * How the CLI fails. A UsageError (bad arguments, missing settings) exits 2; an API error exits 1
 * with the service's Code, Message and RequestId; so does an endpoint that cannot be reached.
 */

/** The command was called wrongly: exit code 2. */
export class UsageError extends Error {}

/** A refusal by a service, in the one shape every SDK's error is brought to: "Code: Message (RequestId …)". */
export class ApiError extends Error {
  constructor(code: string, message: string, requestId: string | undefined) {
    super(`${code}: ${message}${requestId ? ` (RequestId ${requestId})` : ''}`);
  }
}

interface SdkError {
  message?: string;
  code?: unknown;
  status?: number;
  requestId?: string;
  /** pop-core, kms20160120 (tea) and ram20150501 (darabonba) put the JSON error body here. */
  data?: { Code?: string; Message?: string; RequestId?: string };
}

/** How Node and the HTTP clients say that no answer came (in an error's code or message); local file errors are not among them. */
const NETWORK_CODE = /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ConnectionTimeoutError|ResponseTimeoutError)\b/;

/**
 * The error a command reports for `err`: an ApiError when a service answered, a "cannot reach"
 * message naming `endpoints` when the request never got an answer, `err` itself otherwise.
 */
export function describeFailure(err: unknown, endpoints: readonly string[]): Error {
  if (err instanceof UsageError || err instanceof ApiError || typeof err !== 'object' || err === null) {
    return err instanceof Error ? err : new Error(String(err));
  }
  const e = err as SdkError;
  if (e.data?.Code) return new ApiError(e.data.Code, e.data.Message ?? '', e.data.RequestId);
  // ali-oss: `status` is the HTTP status, or -1 (network) / -2 (timeout) with no answer at all.
  if (typeof e.status === 'number' && e.status > 0 && typeof e.code === 'string' && e.code) {
    return new ApiError(e.code, e.message ?? '', e.requestId);
  }
  const network = NETWORK_CODE.exec(`${typeof e.code === 'string' ? e.code : ''} ${e.message ?? ''}`);
  if (network && endpoints.length) return new Error(`cannot reach ${endpoints.join(' or ')}: ${network[1]}`);
  return err as Error;
}
