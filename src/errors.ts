// Typed errors with stable codes. Every code is documented in docs/errors.md (a test checks it).
// The CLI prints `message` on one line; --debug prints the cause chain and stack.

export const ErrorCodes = {
  BERTH_EINVAL: 'invalid argument or flag value',
  BERTH_ESPEC: 'config.json is missing, not JSON, or breaks the runtime spec',
  BERTH_EBUNDLE: 'the bundle directory is missing or unusable',
  BERTH_ENOTFOUND: 'no such container',
  BERTH_EEXIST: 'a container with that ID already exists',
  BERTH_ESTATE: 'the container is not in a state that allows this operation',
  BERTH_ELAUNCH: 'a step of starting the container process failed',
  BERTH_ECGROUP: 'a cgroup operation failed',
  BERTH_EHOOK: 'a hook failed or timed out',
  BERTH_ESECCOMP: 'the seccomp profile is invalid',
  BERTH_EUNSUPPORTED: 'the host or berth lacks a feature the request needs',
  BERTH_ELOCKED: 'another command holds the container lock',
  BERTH_EREFERENCE: 'the image reference is invalid',
  BERTH_EDIGEST: 'a digest is malformed, or content does not match its expected digest or size',
  BERTH_ENOCONTENT: 'no such blob in the content store',
  BERTH_ENOSNAPSHOT: 'no such snapshot',
  BERTH_ESNAPSHOT: 'the snapshot already exists, is in use, or is of the wrong kind for this operation',
  BERTH_ELAYER: 'a layer archive is malformed or unsafe (escaping path, bad link, oversized header)',
  BERTH_EINTERNAL: 'an internal error',
  BERTH_EBUILD: 'the Dockerfile, its stages or the build context are invalid (the message names the file and line)',
  BERTH_EBUILDRUN: 'a RUN step of a build exited with a non-zero code (the message gives the line, the code and the last line of output)',
  BERTH_ENETWORK: 'a network operation failed (CNI plugin, network namespace, DNS)',
  BERTH_EREGISTRY: 'a registry refused a request, failed, or could not be reached',
  BERTH_EAUTH: 'registry authentication failed or credentials are missing',
  BERTH_ECONFLICT: 'the request conflicts with existing state (a name in use, an image used by a container, a network with endpoints)',
  BERTH_EAPIVERSION: 'the client asked for a Docker Engine API version this server does not support',
  BERTH_ETOOLARGE: 'a request body or header exceeds the size limit',
  BERTH_EINUSE: 'the socket or address is already served by a live process',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isBerthError(e: unknown, code?: ErrorCode): e is BerthError {
  return e instanceof BerthError && (code === undefined || e.code === code);
}

/** One line for users: the message, without stack or cause. */
export function oneLine(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? String(e);
  return String(e);
}

/** The whole chain, for --debug. */
export function describeChain(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  let depth = 0;
  while (cur !== undefined && cur !== null && depth < 10) {
    if (cur instanceof Error) {
      const code = cur instanceof BerthError ? ` [${cur.code}]` : (cur as NodeJS.ErrnoException).code ? ` [${(cur as NodeJS.ErrnoException).code}]` : '';
      parts.push(`${depth === 0 ? '' : 'caused by: '}${cur.message}${code}\n${cur.stack ?? ''}`);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(`caused by: ${String(cur)}`);
      break;
    }
    depth++;
  }
  return parts.join('\n');
}

/** errno name → the lower-case text runc-style messages use ("permission denied"). */
export function errnoText(code: string | undefined): string {
  switch (code) {
    case 'EPERM': return 'operation not permitted';
    case 'EACCES': return 'permission denied';
    case 'ENOENT': return 'no such file or directory';
    case 'EEXIST': return 'file exists';
    case 'ENOTDIR': return 'not a directory';
    case 'EISDIR': return 'is a directory';
    case 'EINVAL': return 'invalid argument';
    case 'EBUSY': return 'device or resource busy';
    case 'ESRCH': return 'no such process';
    case 'ENOSPC': return 'no space left on device';
    case 'EROFS': return 'read-only file system';
    default: return code ? code.toLowerCase() : 'unknown error';
  }
}
