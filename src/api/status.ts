// BerthError codes → the HTTP statuses docker uses for the same conditions.
import { BerthError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BERTH_EINVAL: 400,
  BERTH_EREFERENCE: 400,
  BERTH_EAPIVERSION: 400,
  BERTH_ESPEC: 400,
  BERTH_EBUILD: 400,
  BERTH_EAUTH: 401,
  BERTH_ENOTFOUND: 404,
  BERTH_ENOCONTENT: 404,
  BERTH_ENOSNAPSHOT: 404,
  BERTH_EEXIST: 409,
  BERTH_ECONFLICT: 409,
  BERTH_ESTATE: 409,
  BERTH_ELOCKED: 409,
  BERTH_ETOOLARGE: 413,
  BERTH_EUNSUPPORTED: 501,
};

/** A handler may pin a status docker uses that no code maps to (403 for a pre-defined network). */
export function statusOf(e: unknown): number {
  const pinned = (e as { status?: unknown } | null)?.status;
  if (typeof pinned === 'number') return pinned;
  if (e instanceof BerthError) return STATUS[e.code] ?? 500;
  return 500;
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
