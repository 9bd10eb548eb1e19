// IPv4 addresses and prefixes as 32-bit numbers: enough arithmetic for subnet choice and checks.
import { BerthError } from '../errors.js';

export interface Cidr {
  /** Network address (host bits cleared) as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp(s: string): number | undefined {
  const m = DOTTED.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // "010" is octal to some parsers and decimal to others; refuse it rather than guess.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parse "a.b.c.d/n". With `strict`, host bits must be zero. */
export function parseCidr(s: string, strict = false): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function lastAddress(c: Cidr): number {
  return (c.base | ~mask(c.prefix)) >>> 0;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

export function requireCidr(s: string, what: string): Cidr {
  const c = parseCidr(s);
  if (!c) throw new BerthError('BERTH_EINVAL', `invalid ${what} ${JSON.stringify(s)}: expected an IPv4 prefix like 10.90.0.0/24`);
  return c;
}
