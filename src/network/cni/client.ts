// The CNI client: runs a network configuration list's plugins for one attachment
// (network + container + interface), following the CNI 1.0 execution protocol.
import { BerthError } from '../../errors.js';
import { ResultCache } from './cache.js';
import { findPlugin, runPlugin, type PluginOutcome } from './exec.js';
import { ignoreCheckError, skipCheck } from './quirks.js';
import { asCniError, cniErrorMeaning, parseVersionInfo, toResult100 } from './result.js';
import type { AttachmentOptions, CapabilityArgs, CniCommand, CniResult, NetworkConfigList, PluginConf, VersionInfo } from './types.js';

export const DEFAULT_PLUGIN_DIRS = ['/usr/lib/cni', '/usr/libexec/cni', '/opt/cni/bin'];
export const DEFAULT_CACHE_DIR = '/var/lib/berth/cni/results';
// Long enough for a bridge plugin on a loaded host (it may wait for IPAM locks and DAD), short
// enough that a wedged plugin does not hang `berth run` forever.
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface CniClientOptions {
  pluginDirs?: string[];
  cacheDir?: string;
  timeoutMs?: number;
}

export interface Attachment {
  /** The final result converted to CNI 1.0.0. */
  result: CniResult;
  /** The final result as the last plugin printed it. */
  raw: unknown;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CNI_ARG_PART = /^[^;=\s]+$/;

function versionAtLeast(v: string, min: [number, number, number]): boolean {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function oneLineText(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export class CniClient {
  readonly conf: NetworkConfigList;
  readonly pluginDirs: string[];
  readonly cache: ResultCache;
  readonly timeoutMs: number;

  constructor(conf: NetworkConfigList, opts: CniClientOptions = {}) {
    this.conf = conf;
    this.pluginDirs = opts.pluginDirs ?? DEFAULT_PLUGIN_DIRS;
    this.cache = new ResultCache(opts.cacheDir ?? DEFAULT_CACHE_DIR);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Attach: run every plugin in order, each receiving the previous one's result. On failure the
   * whole list is deleted again (the spec's advice) so a failed ADD leaves nothing behind.
   */
  async add(netns: string, containerId: string, ifName: string, opts: AttachmentOptions = {}): Promise<Attachment> {
    this.checkAttachment(netns, containerId, ifName);
    let prev: unknown;
    try {
      for (const plugin of this.conf.plugins) {
        const out = await this.invoke('ADD', plugin, { netns, containerId, ifName, opts, prevResult: prev });
        // A plugin that prints nothing on success passes the chain through unchanged.
        if (out.trim() !== '') prev = this.parseJson(plugin, 'ADD', out);
      }
      if (prev === undefined) throw this.error(this.conf.plugins[this.conf.plugins.length - 1]!.type, 'ADD printed no result');
      let result: CniResult;
      try {
        result = toResult100(prev);
      } catch (e) {
        throw this.error(this.conf.plugins[this.conf.plugins.length - 1]!.type, `ADD printed an invalid result: ${(e as Error).message}`, { cause: e });
      }
      await this.cache.put({
        kind: 'berth-cni-cache-v1',
        networkName: this.conf.name,
        containerId,
        ifName,
        netns,
        ...(opts.args ? { args: opts.args } : {}),
        ...(opts.capabilityArgs ? { capabilityArgs: opts.capabilityArgs } : {}),
        result: prev,
      });
      return { result, raw: prev };
    } catch (e) {
      await this.runDel(netns, containerId, ifName, opts, undefined).catch(() => undefined);
      throw e;
    }
  }

  /** Detach: every plugin in reverse order, with the cached ADD result as prevResult. */
  async del(netns: string, containerId: string, ifName: string, opts: AttachmentOptions = {}): Promise<void> {
    this.checkAttachment(netns, containerId, ifName, true);
    const cached = await this.cache.get(this.conf.name, containerId, ifName);
    // DEL must undo what ADD set up, so ADD's arguments win when the caller no longer has them.
    const merged: AttachmentOptions = {
      args: opts.args ?? cached?.args,
      capabilityArgs: opts.capabilityArgs ?? cached?.capabilityArgs,
    };
    await this.runDel(netns, containerId, ifName, merged, cached?.result);
    await this.cache.remove(this.conf.name, containerId, ifName);
  }

  /** Verify an attachment is still as ADD left it (CNI 0.4.0+). */
  async check(netns: string, containerId: string, ifName: string, opts: AttachmentOptions = {}): Promise<void> {
    this.checkAttachment(netns, containerId, ifName);
    if (!versionAtLeast(this.conf.cniVersion, [0, 4, 0])) {
      throw new BerthError('BERTH_EUNSUPPORTED', `network "${this.conf.name}": CHECK needs cniVersion 0.4.0 or later (list is ${this.conf.cniVersion})`);
    }
    if (this.conf.disableCheck) return;
    const cached = await this.cache.get(this.conf.name, containerId, ifName);
    if (!cached) {
      throw new BerthError('BERTH_ENETWORK', `network "${this.conf.name}": no cached result for container ${containerId} interface ${ifName}; was it attached?`);
    }
    const merged: AttachmentOptions = {
      args: opts.args ?? cached.args,
      capabilityArgs: opts.capabilityArgs ?? cached.capabilityArgs,
    };
    for (const plugin of this.conf.plugins) {
      if (skipCheck(plugin, merged.capabilityArgs)) continue;
      try {
        await this.invoke('CHECK', plugin, { netns, containerId, ifName, opts: merged, prevResult: cached.result });
      } catch (e) {
        const msg = e instanceof BerthError ? e.detail?.cniMsg : undefined;
        if (typeof msg === 'string' && ignoreCheckError(plugin, msg, cached.result)) continue;
        throw e;
      }
    }
  }

  /** The versions a plugin of this list supports. */
  async version(pluginType: string): Promise<VersionInfo> {
    const plugin: PluginConf = this.conf.plugins.find((p) => p.type === pluginType) ?? { type: pluginType };
    const out = await this.invoke('VERSION', plugin, { stdin: JSON.stringify({ cniVersion: this.conf.cniVersion }) });
    try {
      return parseVersionInfo(this.parseJson(plugin, 'VERSION', out));
    } catch (e) {
      if (e instanceof BerthError) throw e;
      throw this.error(pluginType, `VERSION printed an invalid answer: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Every plugin (and IPAM plugin) exists and supports the list's cniVersion. */
  async validate(): Promise<void> {
    const types = new Set<string>();
    for (const p of this.conf.plugins) {
      types.add(p.type);
      const ipam = p.ipam as { type?: string } | undefined;
      if (ipam?.type) types.add(ipam.type);
    }
    for (const t of types) {
      const info = await this.version(t);
      if (!info.supportedVersions.includes(this.conf.cniVersion)) {
        throw this.error(t, `does not support cniVersion ${this.conf.cniVersion} (supports ${info.supportedVersions.join(', ')})`);
      }
    }
  }

  private async runDel(netns: string, containerId: string, ifName: string, opts: AttachmentOptions, prevResult: unknown): Promise<void> {
    const withPrev = versionAtLeast(this.conf.cniVersion, [0, 4, 0]) ? prevResult : undefined;
    for (const plugin of [...this.conf.plugins].reverse()) {
      await this.invoke('DEL', plugin, { netns, containerId, ifName, opts, prevResult: withPrev });
    }
  }

  /** The stdin config for one plugin: its own fields, the list's name/version, runtimeConfig, prevResult. */
  pluginConfig(plugin: PluginConf, capabilityArgs: CapabilityArgs | undefined, prevResult: unknown): Record<string, unknown> {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: this.conf.cniVersion, name: this.conf.name };
    // Only capabilities the plugin declares: plugins may reject fields they do not know.
    const runtimeConfig: Record<string, unknown> = {};
    for (const [cap, enabled] of Object.entries(plugin.capabilities ?? {})) {
      const value = capabilityArgs?.[cap];
      if (enabled && value !== undefined) runtimeConfig[cap] = value;
    }
    if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
    if (prevResult !== undefined) conf.prevResult = prevResult;
    return conf;
  }

  private async invoke(
    command: CniCommand,
    plugin: PluginConf,
    call: { netns?: string; containerId?: string; ifName?: string; opts?: AttachmentOptions; prevResult?: unknown; stdin?: string },
  ): Promise<string> {
    const binary = await findPlugin(plugin.type, this.pluginDirs);
    if (!binary) throw this.error(plugin.type, `not found in ${this.pluginDirs.join(':')}`);
    const stdin = call.stdin ?? JSON.stringify(this.pluginConfig(plugin, call.opts?.capabilityArgs, call.prevResult));
    if (call.opts?.args) checkCniArgs(call.opts.args);
    const args = call.opts?.args ? Object.entries(call.opts.args).map(([k, v]) => `${k}=${v}`).join(';') : undefined;
    const outcome = await runPlugin(binary, {
      command,
      containerId: call.containerId,
      netns: call.netns,
      ifName: call.ifName,
      args,
      path: this.pluginDirs,
      stdin,
      timeoutMs: this.timeoutMs,
    });
    return this.outcomeText(plugin.type, command, outcome);
  }

  private outcomeText(type: string, command: CniCommand, o: PluginOutcome): string {
    switch (o.kind) {
      case 'ok':
        return o.stdout;
      case 'timeout':
        throw this.error(type, `${command} timed out after ${this.timeoutMs / 1000}s; the plugin was killed`, {
          detail: { command, stderr: o.stderr },
        });
      case 'spawn-error':
        throw this.error(type, `cannot run plugin: ${o.error.message}`, { cause: o.error, detail: { command } });
      case 'failed': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(o.stdout);
        } catch {
          parsed = undefined;
        }
        const cniErr = asCniError(parsed);
        if (cniErr) {
          const text = [cniErr.msg || cniErrorMeaning(cniErr.code), cniErr.details].filter(Boolean).join(': ');
          throw this.error(type, oneLineText(text), {
            detail: { command, cniCode: cniErr.code, cniMsg: cniErr.msg, cniDetails: cniErr.details, stderr: o.stderr },
          });
        }
        // Not a spec error object: a Go panic line, else the last thing said on stderr, is the best clue.
        const lines = o.stderr.trim().split('\n');
        const lastErr = (lines.find((l) => l.startsWith('panic: ')) ?? lines.pop())?.trim();
        const how = o.signal ? `was killed by ${o.signal}` : `exited with status ${o.exitCode}`;
        throw this.error(type, `${command} failed: ${oneLineText(lastErr || how)}`, {
          detail: { command, exitCode: o.exitCode, signal: o.signal, stdout: o.stdout, stderr: o.stderr },
        });
      }
    }
  }

  private parseJson(plugin: PluginConf, command: CniCommand, out: string): unknown {
    try {
      return JSON.parse(out);
    } catch (e) {
      throw this.error(plugin.type, `${command} printed something that is not JSON`, { cause: e, detail: { stdout: out } });
    }
  }

  private error(type: string, msg: string, extra: { cause?: unknown; detail?: Record<string, unknown> } = {}): BerthError {
    return new BerthError('BERTH_ENETWORK', `network "${this.conf.name}": plugin ${type}: ${msg}`, {
      ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
      detail: { network: this.conf.name, plugin: type, ...extra.detail },
    });
  }

  private checkAttachment(netns: string, containerId: string, ifName: string, forDelete = false): void {
    if (!CONTAINER_ID.test(containerId)) {
      throw new BerthError('BERTH_EINVAL', `invalid container id for CNI: ${JSON.stringify(containerId)}`);
    }
    // Linux interface names: 1-15 bytes, no '/', ':' or whitespace, not "." or "..".
    if (!/^[^/:\s]{1,15}$/.test(ifName) || ifName === '.' || ifName === '..') {
      throw new BerthError('BERTH_EINVAL', `invalid interface name: ${JSON.stringify(ifName)}`);
    }
    // DEL may be asked to clean up after the namespace is already gone; the spec allows an empty CNI_NETNS then.
    if (!(forDelete && netns === '') && !netns.startsWith('/')) {
      throw new BerthError('BERTH_EINVAL', `network namespace must be an absolute path: ${JSON.stringify(netns)}`);
    }
  }
}

export function checkCniArgs(args: Record<string, string>): void {
  for (const [k, v] of Object.entries(args)) {
    if (!CNI_ARG_PART.test(k) || !CNI_ARG_PART.test(v)) {
      throw new BerthError('BERTH_EINVAL', `invalid CNI argument ${JSON.stringify(`${k}=${v}`)}: keys and values cannot contain ";", "=" or spaces`);
    }
  }
}
