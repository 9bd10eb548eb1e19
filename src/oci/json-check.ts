// Small type checks for untrusted JSON. Each takes the value and the dotted path of the field so the
// error names exactly one field on one line. Paths are only formatted by callers when a field exists,
// and the checks allocate nothing on success: config.json is checked on every `create`.
import { BerthError } from '../errors.js';

export type Obj = Record<string, unknown>;

export function specError(message: string): BerthError {
  return new BerthError('BERTH_ESPEC', `config.json: ${message}`);
}

export function fail(path: string, what: string): never {
  throw specError(`${path} ${what}`);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function reqObj(v: unknown, path: string): Obj {
  if (v === undefined) fail(path, 'is required');
  if (!isObj(v)) fail(path, 'must be an object');
  return v;
}

export function optObj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(path, 'must be an object');
  return v;
}

export function reqStr(v: unknown, path: string): string {
  if (v === undefined) fail(path, 'is required');
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

export function optStr(v: unknown, path: string): void {
  if (v !== undefined && v !== null && typeof v !== 'string') fail(path, 'must be a string');
}

export function optBool(v: unknown, path: string): void {
  if (v !== undefined && v !== null && typeof v !== 'boolean') fail(path, 'must be a boolean');
}

export function reqBool(v: unknown, path: string): void {
  if (v === undefined) fail(path, 'is required');
  if (typeof v !== 'boolean') fail(path, 'must be a boolean');
}

export const U32_MAX = 4294967295;

/** An integer in [min, max]. JSON numbers above 2^53 are still integers to JS, which is what we want
 * for int64/uint64 fields: they are accepted and saturated where they are used. */
export function optInt(v: unknown, path: string, min = -Infinity, max = Infinity): void {
  if (v === undefined || v === null) return;
  reqInt(v, path, min, max);
}

export function reqInt(v: unknown, path: string, min = -Infinity, max = Infinity): number {
  if (v === undefined) fail(path, 'is required');
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) {
    fail(path, max === Infinity ? `must be at least ${min}` : `must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function optU32(v: unknown, path: string): void {
  optInt(v, path, 0, U32_MAX);
}

export function reqU32(v: unknown, path: string): number {
  return reqInt(v, path, 0, U32_MAX);
}

export function optArr(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

export function optStrArr(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'must be an array of strings');
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') fail(path, 'must be an array of strings');
  return v as string[];
}

export function optStrMap(v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  if (!isObj(v)) fail(path, 'must be an object of strings');
  for (const k in v) if (typeof v[k] !== 'string') fail(`${path}.${k}`, 'must be a string');
}

export function absPath(v: unknown, path: string): string {
  const s = reqStr(v, path);
  if (s.charCodeAt(0) !== 47 /* / */) fail(path, `must be an absolute path (got "${s}")`);
  return s;
}

export function optAbsPath(v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  absPath(v, path);
}

export function optAbsPathArr(v: unknown, path: string): void {
  const a = optStrArr(v, path);
  if (!a) return;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.charCodeAt(0) !== 47) fail(`${path}[${i}]`, `must be an absolute path (got "${a[i]}")`);
  }
}

/** `what` names the kind of value: `linux.namespaces[3].type: unknown namespace type "foo"`. */
export function oneOf(v: string, allowed: ReadonlySet<string>, path: string, what: string): void {
  if (!allowed.has(v)) throw specError(`${path}: ${what} "${v}"`);
}

export function validateIdMappings(v: unknown, p: string): void {
  const list = optArr(v, p);
  if (!list) return;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const ep = `${p}[${i}]`;
    if (!isObj(e)) fail(ep, 'must be an object');
    reqU32(e['containerID'], `${ep}.containerID`);
    reqU32(e['hostID'], `${ep}.hostID`);
    reqU32(e['size'], `${ep}.size`);
  }
}
