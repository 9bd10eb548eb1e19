// Parsing plugin output into a typed CNI 1.0 result, converting from the older result shapes.
// The raw JSON is what gets chained as prevResult (plugins expect their own cniVersion's shape);
// the typed 1.0 form is what berth itself reads.
import type { CniErrorObject, CniResult, ResultDns, ResultInterface, ResultIp, ResultRoute, VersionInfo } from './types.js';

export class ResultFormatError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ResultFormatError(`${what} is not a string`);
  return v;
}

function optStr(v: unknown, what: string): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : str(v, what);
}

function strList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ResultFormatError(`${what} is not a list of strings`);
  return v as string[];
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ResultFormatError(`${what} is not a list`);
  return v;
}

function parseDns(v: unknown): ResultDns | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new ResultFormatError('dns is not an object');
  const dns: ResultDns = {};
  const nameservers = strList(v.nameservers, 'dns.nameservers');
  const domain = optStr(v.domain, 'dns.domain');
  const search = strList(v.search, 'dns.search');
  const options = strList(v.options, 'dns.options');
  if (nameservers) dns.nameservers = nameservers;
  if (domain) dns.domain = domain;
  if (search) dns.search = search;
  if (options) dns.options = options;
  return Object.keys(dns).length ? dns : undefined;
}

function parseRoutes(v: unknown, what: string): ResultRoute[] {
  return list(v, what).map((r, i) => {
    if (!isObject(r)) throw new ResultFormatError(`${what}[${i}] is not an object`);
    const route: ResultRoute = { dst: str(r.dst, `${what}[${i}].dst`) };
    const gw = optStr(r.gw, `${what}[${i}].gw`);
    if (gw) route.gw = gw;
    return route;
  });
}

function parseInterfaces(v: unknown): ResultInterface[] {
  return list(v, 'interfaces').map((x, i) => {
    if (!isObject(x)) throw new ResultFormatError(`interfaces[${i}] is not an object`);
    const itf: ResultInterface = { name: str(x.name, `interfaces[${i}].name`) };
    const mac = optStr(x.mac, `interfaces[${i}].mac`);
    const sandbox = optStr(x.sandbox, `interfaces[${i}].sandbox`);
    if (mac) itf.mac = mac;
    if (typeof x.mtu === 'number') itf.mtu = x.mtu;
    if (sandbox) itf.sandbox = sandbox;
    return itf;
  });
}

function parseIps(v: unknown): ResultIp[] {
  // 0.3.x/0.4.0 carry a "version" field per address; 1.0 dropped it, so it is simply not read.
  return list(v, 'ips').map((x, i) => {
    if (!isObject(x)) throw new ResultFormatError(`ips[${i}] is not an object`);
    const ip: ResultIp = { address: str(x.address, `ips[${i}].address`) };
    const gw = optStr(x.gateway, `ips[${i}].gateway`);
    if (gw) ip.gateway = gw;
    if (typeof x.interface === 'number') ip.interface = x.interface;
    return ip;
  });
}

/** Convert a pre-0.3 result ({ip4, ip6, dns}) to the list form. */
function fromLegacy(raw: Record<string, unknown>): Pick<CniResult, 'ips' | 'routes'> {
  const ips: ResultIp[] = [];
  const routes: ResultRoute[] = [];
  for (const key of ['ip4', 'ip6'] as const) {
    const block = raw[key];
    if (block === undefined || block === null) continue;
    if (!isObject(block)) throw new ResultFormatError(`${key} is not an object`);
    const ip: ResultIp = { address: str(block.ip, `${key}.ip`) };
    const gw = optStr(block.gateway, `${key}.gateway`);
    if (gw) ip.gateway = gw;
    ips.push(ip);
    routes.push(...parseRoutes(block.routes, `${key}.routes`));
  }
  return { ips, routes };
}

/** Any supported result version → the 1.0 shape. Throws ResultFormatError when malformed. */
export function toResult100(raw: unknown): CniResult {
  if (!isObject(raw)) throw new ResultFormatError('result is not a JSON object');
  const version = typeof raw.cniVersion === 'string' ? raw.cniVersion : '0.1.0';
  const out: CniResult = { cniVersion: '1.0.0' };
  if (version === '0.1.0' || version === '0.2.0') {
    const { ips, routes } = fromLegacy(raw);
    if (ips?.length) out.ips = ips;
    if (routes?.length) out.routes = routes;
  } else {
    const interfaces = parseInterfaces(raw.interfaces);
    const ips = parseIps(raw.ips);
    const routes = parseRoutes(raw.routes, 'routes');
    if (interfaces.length) out.interfaces = interfaces;
    if (ips.length) out.ips = ips;
    if (routes.length) out.routes = routes;
  }
  const dns = parseDns(raw.dns);
  if (dns) out.dns = dns;
  return out;
}

export function parseVersionInfo(raw: unknown): VersionInfo {
  if (!isObject(raw)) throw new ResultFormatError('version output is not a JSON object');
  const supported = strList(raw.supportedVersions, 'supportedVersions');
  return { cniVersion: str(raw.cniVersion, 'cniVersion'), supportedVersions: supported ?? [] };
}

/** The spec's error object, if `raw` is one. */
export function asCniError(raw: unknown): CniErrorObject | undefined {
  if (!isObject(raw) || typeof raw.code !== 'number') return undefined;
  const err: CniErrorObject = { code: raw.code, msg: typeof raw.msg === 'string' ? raw.msg : '' };
  if (typeof raw.details === 'string' && raw.details) err.details = raw.details;
  if (typeof raw.cniVersion === 'string') err.cniVersion = raw.cniVersion;
  return err;
}

const WELL_KNOWN: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network configuration',
  11: 'try again later',
};

/** The well-known meaning of a CNI error code, for messages where the plugin gave none. */
export function cniErrorMeaning(code: number): string {
  return WELL_KNOWN[code] ?? (code >= 100 ? 'plugin-specific error' : `error code ${code}`);
}
