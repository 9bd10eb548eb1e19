// Loading and validating network configuration lists: untrusted JSON becomes a typed
// NetworkConfigList once, here, so the client never re-checks shapes.
import { readFile } from 'node:fs/promises';
import { BerthError } from '../../errors.js';
import type { NetworkConfigList, PluginConf } from './types.js';

// The spec's rule for network names.
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// A plugin type is a file name looked up in CNI_PATH: no directory parts, no dot-files.
const PLUGIN_TYPE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;
const SEMVER = /^\d+\.\d+\.\d+$/;

function bad(msg: string): BerthError {
  return new BerthError('BERTH_EINVAL', `invalid network configuration list: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseConfList(input: unknown): NetworkConfigList {
  if (!isObject(input)) throw bad('not a JSON object');
  const { name, cniVersion, plugins, disableCheck } = input;
  if (typeof name !== 'string' || !NETWORK_NAME.test(name)) {
    throw bad(`"name" must start with a letter or digit, then letters, digits, "_", "." or "-" (got ${JSON.stringify(name)})`);
  }
  if (typeof cniVersion !== 'string' || !SEMVER.test(cniVersion)) {
    throw bad(`network "${name}": "cniVersion" must be a version like 1.0.0 (got ${JSON.stringify(cniVersion)})`);
  }
  // The spec writes disableCheck as a string in one place and libcni accepts both; so do we.
  let disable = false;
  if (disableCheck !== undefined) {
    if (disableCheck === true || disableCheck === 'true') disable = true;
    else if (disableCheck === false || disableCheck === 'false') disable = false;
    else throw bad(`network "${name}": "disableCheck" must be true or false`);
  }
  if (!Array.isArray(plugins) || plugins.length === 0) {
    throw bad(`network "${name}": "plugins" must be a non-empty list`);
  }
  const parsed: PluginConf[] = plugins.map((p, i) => parsePlugin(name, p, i));
  return { name, cniVersion, disableCheck: disable, plugins: parsed };
}

function parsePlugin(net: string, p: unknown, i: number): PluginConf {
  if (!isObject(p)) throw bad(`network "${net}": plugin ${i} is not an object`);
  const { type, capabilities } = p;
  if (typeof type !== 'string' || !PLUGIN_TYPE.test(type)) {
    throw bad(`network "${net}": plugin ${i} has an invalid "type" ${JSON.stringify(type)}`);
  }
  if (capabilities !== undefined) {
    if (!isObject(capabilities) || !Object.values(capabilities).every((v) => typeof v === 'boolean')) {
      throw bad(`network "${net}": plugin ${type}: "capabilities" must map names to true/false`);
    }
  }
  if (p.ipam !== undefined) {
    if (!isObject(p.ipam) || typeof p.ipam.type !== 'string' || !PLUGIN_TYPE.test(p.ipam.type)) {
      throw bad(`network "${net}": plugin ${type}: "ipam.type" must name an IPAM plugin`);
    }
  }
  // The list's name and cniVersion win (spec); drop per-plugin copies so nothing disagrees.
  const { name: _n, cniVersion: _v, prevResult: _p, runtimeConfig: _r, ...rest } = p;
  return { ...rest, type } as PluginConf;
}

export function parseConfListText(text: string, source = 'configuration'): NetworkConfigList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `invalid network configuration list in ${source}: not JSON`, { cause: e });
  }
  return parseConfList(json);
}

export async function loadConfListFile(path: string): Promise<NetworkConfigList> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new BerthError('BERTH_ENETWORK', `cannot read network configuration ${path}`, { cause: e });
  }
  return parseConfListText(text, path);
}
