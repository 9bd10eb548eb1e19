// Known bugs of the plugins Debian 12 ships (containernetworking-plugins 1.1.1), worked around
// narrowly so that CHECK stays meaningful. Each entry names the upstream issue; drop it once the
// fixed release is the oldest we support.
import type { CapabilityArgs, PluginConf } from './types.js';
import { toResult100 } from './result.js';

/**
 * bandwidth before 1.9.1 dereferences a nil limit on CHECK when the attachment has no limits
 * (containernetworking/plugins#1221). With no limits its ADD did nothing, so there is nothing
 * for CHECK to verify and skipping it loses nothing.
 */
export function skipCheck(plugin: PluginConf, caps: CapabilityArgs | undefined): boolean {
  if (plugin.type !== 'bandwidth') return false;
  const fromRuntime = plugin.capabilities?.bandwidth === true && caps?.bandwidth !== undefined;
  const fromConf = ['ingressRate', 'egressRate'].some((k) => typeof plugin[k] === 'number' && (plugin[k] as number) > 0);
  return !fromRuntime && !fromConf;
}

/**
 * portmap 1.1.1 checks ip6tables rules on CHECK even when the attachment has no IPv6 address,
 * and fails because it never created them (containernetworking/plugins#819). It checks IPv4
 * first, so reaching the IPv6 step means the IPv4 rules were found.
 */
export function ignoreCheckError(plugin: PluginConf, message: string, addResult: unknown): boolean {
  if (plugin.type !== 'portmap' || !/^could not check ipv6 /.test(message)) return false;
  try {
    return !(toResult100(addResult).ips ?? []).some((ip) => ip.address.includes(':'));
  } catch {
    return false;
  }
}
