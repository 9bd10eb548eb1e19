// API versions: the range served and the check docker's daemon makes on `/vX.Y/` prefixes.
import { BerthError } from '../errors.js';

export const MIN_API_VERSION = '1.41';
/** What docker CLI 28.2 asks for; it negotiates down to what `/_ping` announces. */
export const MAX_API_VERSION = '1.50';

function parts(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
}

/** Negative, zero or positive, as a - b. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = parts(a);
  const [bm, bn] = parts(b);
  return am !== bm ? am - bm : an - bn;
}

export const versionAtLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;

/** Splits `/v1.47/containers/json` into the version and the path; unversioned paths get the newest. */
export function splitVersion(path: string): { version: string; path: string } {
  // Docker's routes take `/v{version:[0-9.]+}/…`; anything else is an unversioned path.
  const m = /^\/v([0-9.]+)(\/.*)?$/.exec(path);
  if (!m) return { version: MAX_API_VERSION, path };
  const version = m[1]!;
  const rest = m[2] ?? '/';
  if (!/^\d+\.\d+$/.test(version)) throw new BerthError('BERTH_EINVAL', `invalid API version: ${version}`);
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    throw new BerthError('BERTH_EAPIVERSION', `client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new BerthError('BERTH_EAPIVERSION', `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: rest };
}
