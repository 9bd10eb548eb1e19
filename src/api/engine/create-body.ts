// Docker's `POST /containers/create` body → the engine's CreateRequest. Pure, so each rule is
// unit-tested; the CLI's flag parsers (engine/parse.ts) are reused where docker's body carries the
// flag's text (Binds, Tmpfs) so both front ends accept and refuse the same values.
import { BerthError } from '../../errors.js';
import { defaultRequest, type CreateRequest, type EndpointRequest, type HealthConfig, type MountSpec, type PublishSpec, type RestartName } from '../../engine/config.js';
import { parseBytes, parseTmpfsFlag, parseVolumeFlag, checkVolumeName } from '../../engine/parse.js';
import type { ContainerCreateBody, EndpointSettings, HostConfig } from '../types.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** docker names: "default" and "bridge" are both the default network; the engine calls it "default". */
export function networkModeOf(mode: string | undefined): string {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'bridge') return 'default';
  return mode;
}

function restartOf(hc: HostConfig): CreateRequest['restart'] {
  const name = hc.RestartPolicy?.Name ?? '';
  const allowed = ['no', 'always', 'unless-stopped', 'on-failure'];
  if (name === '') return { name: 'no', maximumRetryCount: 0 };
  if (!allowed.includes(name)) throw new BerthError('BERTH_EINVAL', `invalid restart policy: unknown policy "${name}"`);
  return { name: name as RestartName, maximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
}

function mountsOf(body: ContainerCreateBody, hc: HostConfig): MountSpec[] {
  const out: MountSpec[] = [];
  for (const b of strs(hc.Binds)) out.push(parseVolumeFlag(b));
  for (const m of hc.Mounts ?? []) {
    const src = m.Source ?? '';
    const extra = m as { BindOptions?: { Propagation?: string }; TmpfsOptions?: { SizeBytes?: number; Mode?: number } };
    if (m.Type === 'bind') {
      if (!src.startsWith('/')) throw new BerthError('BERTH_EINVAL', `invalid mount config for type "bind": invalid mount path: '${src}' mount path must be absolute`);
      out.push({ type: 'bind', source: src, target: m.Target, readOnly: m.ReadOnly === true, options: extra.BindOptions?.Propagation ? [extra.BindOptions.Propagation] : [] });
    } else if (m.Type === 'volume') {
      if (src !== '') checkVolumeName(src);
      out.push({ type: 'volume', source: src, target: m.Target, readOnly: m.ReadOnly === true, options: [], ...(src === '' ? { anonymous: true } : {}) });
    } else if (m.Type === 'tmpfs') {
      const options: string[] = [];
      if (extra.TmpfsOptions?.SizeBytes) options.push(`size=${extra.TmpfsOptions.SizeBytes}`);
      if (extra.TmpfsOptions?.Mode) options.push(`mode=${extra.TmpfsOptions.Mode.toString(8)}`);
      out.push({ type: 'tmpfs', source: '', target: m.Target, readOnly: m.ReadOnly === true, options });
    } else throw new BerthError('BERTH_EUNSUPPORTED', `mount type "${m.Type}" is not supported (bind, volume and tmpfs are)`);
  }
  for (const [target, opts] of Object.entries(hc.Tmpfs ?? {})) out.push(parseTmpfsFlag(opts === '' ? target : `${target}:${opts}`));
  // `-v /path` arrives as Config.Volumes only: an anonymous volume unless a mount already covers it.
  for (const target of Object.keys(body.Volumes ?? {})) {
    if (!out.some((m) => m.target === target)) out.push({ type: 'volume', source: '', target, readOnly: false, options: [], anonymous: true });
  }
  return out;
}

function publishOf(hc: HostConfig): PublishSpec[] {
  const out: PublishSpec[] = [];
  for (const [key, bindings] of Object.entries(hc.PortBindings ?? {})) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (m === null) throw new BerthError('BERTH_EINVAL', `invalid port specification: "${key}"`);
    const protocol = (m[2] ?? 'tcp') as 'tcp' | 'udp';
    if ((protocol as string) === 'sctp') throw new BerthError('BERTH_EUNSUPPORTED', 'sctp ports are not supported');
    for (const b of bindings ?? [{}]) {
      const hp = b.HostPort ?? '';
      const r = /^(\d+)(?:-(\d+))?$/.exec(hp);
      if (hp !== '' && r === null) throw new BerthError('BERTH_EINVAL', `invalid host port "${hp}" for ${key}`);
      const spec: PublishSpec = { hostPort: r === null ? 0 : Number(r[1]), containerPort: Number(m[1]), protocol };
      if (r?.[2] !== undefined) spec.hostPortEnd = Number(r[2]);
      if (b.HostIp !== undefined && b.HostIp !== '') spec.hostIP = b.HostIp;
      out.push(spec);
    }
  }
  return out;
}

function healthOf(h: ContainerCreateBody['Healthcheck']): HealthConfig | undefined {
  if (h === undefined || h === null) return undefined;
  const out: HealthConfig = { test: strs(h.Test) };
  if (num(h.Interval) !== undefined) out.interval = h.Interval!;
  if (num(h.Timeout) !== undefined) out.timeout = h.Timeout!;
  if (num(h.StartPeriod) !== undefined) out.startPeriod = h.StartPeriod!;
  if (num(h.Retries) !== undefined) out.retries = h.Retries!;
  return out;
}

/** NetworkMode plus EndpointsConfig: the mode's network first (eth0), then the others. */
function endpointsOf(mode: string, cfg: Record<string, EndpointSettings> | undefined): EndpointRequest[] | undefined {
  const entries = Object.entries(cfg ?? {});
  if (entries.length === 0) return undefined;
  const toReq = (name: string, e: EndpointSettings): EndpointRequest => {
    const r: EndpointRequest = { name: networkModeOf(name) };
    // docker's default bridge has no DNS: aliases there are dropped, as docker ignores them.
    const aliases = strs(e.Aliases);
    if (aliases.length > 0 && r.name !== 'default') r.aliases = aliases;
    const ip = e.IPAMConfig?.IPv4Address;
    if (ip !== undefined && ip !== '') r.ip = ip;
    if (e.MacAddress !== undefined && e.MacAddress !== '') r.mac = e.MacAddress.toLowerCase();
    return r;
  };
  const eps = entries.map(([n, e]) => toReq(n, e ?? {}));
  const first = eps.findIndex((e) => e.name === mode);
  if (first > 0) eps.unshift(...eps.splice(first, 1));
  if (first < 0) eps.unshift({ name: mode });
  return eps;
}

export function toCreateRequest(name: string | undefined, body: ContainerCreateBody): CreateRequest {
  const image = str(body.Image);
  if (image === undefined) throw new BerthError('BERTH_EINVAL', 'config cannot be empty in order to create a container: no image given');
  const hc: HostConfig = body.HostConfig ?? {};
  const req = defaultRequest(image);
  if (name !== undefined && name !== '') req.name = name.replace(/^\//, '');
  req.cmd = strs(body.Cmd);
  if (body.Entrypoint !== undefined && body.Entrypoint !== null) {
    const ep = strs(body.Entrypoint);
    // `--entrypoint ""` arrives as [""]: no entrypoint at all.
    req.entrypoint = ep.length === 1 && ep[0] === '' ? [] : ep;
  }
  req.env = strs(body.Env);
  const wd = str(body.WorkingDir);
  if (wd !== undefined) req.workingDir = wd;
  const user = str(body.User);
  if (user !== undefined) req.user = user;
  req.labels = { ...(body.Labels ?? {}) };
  const host = str(body.Hostname);
  if (host !== undefined) req.hostname = host;
  req.tty = body.Tty === true;
  req.openStdin = body.OpenStdin === true;
  req.autoRemove = hc.AutoRemove === true;
  req.mounts = mountsOf(body, hc);
  req.readOnly = hc.ReadonlyRootfs === true;
  const h = hc as Record<string, unknown>;
  const res = req.resources;
  if (num(hc.Memory) !== undefined) res.memory = hc.Memory!;
  if (num(h.MemorySwap) !== undefined) res.memorySwap = h.MemorySwap as number;
  if (num(hc.NanoCpus) !== undefined) res.nanoCpus = hc.NanoCpus!;
  if (num(hc.CpuShares) !== undefined) res.cpuShares = hc.CpuShares!;
  if (num(h.CpuQuota) !== undefined) res.cpuQuota = h.CpuQuota as number;
  if (num(h.CpuPeriod) !== undefined) res.cpuPeriod = h.CpuPeriod as number;
  if (str(h.CpusetCpus) !== undefined) res.cpusetCpus = h.CpusetCpus as string;
  if (typeof hc.PidsLimit === 'number' && hc.PidsLimit > 0) res.pidsLimit = hc.PidsLimit;
  if (num(h.BlkioWeight) !== undefined) res.blkioWeight = h.BlkioWeight as number;
  const ulimits = Array.isArray(h.Ulimits) ? (h.Ulimits as Array<{ Name?: string; Soft?: number; Hard?: number }>) : [];
  req.ulimits = ulimits.filter((u) => typeof u.Name === 'string').map((u) => ({ name: u.Name!, soft: u.Soft ?? 0, hard: u.Hard ?? u.Soft ?? 0 }));
  req.capAdd = strs(hc.CapAdd);
  req.capDrop = strs(hc.CapDrop);
  req.privileged = hc.Privileged === true;
  for (const o of strs(h.SecurityOpt)) {
    if (o === 'seccomp=unconfined' || o === 'seccomp:unconfined') req.seccomp = 'unconfined';
    else if (/^no-new-privileges(?:[:=]true)?$/.test(o)) req.noNewPrivileges = true;
    else if (/^(label|apparmor)[=:]/.test(o)) continue; // no SELinux or AppArmor here: docker ignores them too when disabled
    else if (o.startsWith('seccomp=') || o.startsWith('seccomp:')) req.seccomp = o.slice(8);
    else throw new BerthError('BERTH_EINVAL', `invalid --security-opt: "${o}"`);
  }
  if (str(h.UsernsMode) !== undefined) req.userns = h.UsernsMode as string;
  req.init = hc.Init === true;
  const sig = str(body.StopSignal);
  if (sig !== undefined) req.stopSignal = sig;
  if (typeof body.StopTimeout === 'number') req.stopTimeout = body.StopTimeout;
  req.restart = restartOf(hc);
  if (req.autoRemove && req.restart.name !== 'no') throw new BerthError('BERTH_EINVAL', 'conflicting options: cannot specify both --restart and --rm');
  const health = healthOf(body.Healthcheck);
  if (health !== undefined && (health.test.length > 0 || Object.keys(health).length > 1)) req.healthcheck = health;

  req.network = networkModeOf(hc.NetworkMode);
  const special = req.network === 'host' || req.network === 'none' || req.network.startsWith('container:');
  const eps = special ? undefined : endpointsOf(req.network, body.NetworkingConfig?.EndpointsConfig);
  if (eps !== undefined) req.endpoints = eps;
  if (req.network !== 'host') {
    const publish = publishOf(hc);
    if (publish.length > 0) req.publish = publish;
    if (h.PublishAllPorts === true) req.publishAll = true;
  }
  const exposed = Object.keys(body.ExposedPorts ?? {});
  if (exposed.length > 0) req.expose = exposed.map((p) => (p.includes('/') ? p : `${p}/tcp`));
  if (strs(hc.Dns).length > 0) req.dns = strs(hc.Dns);
  if (strs(h.DnsSearch).length > 0) req.dnsSearch = strs(h.DnsSearch);
  if (strs(h.DnsOptions).length > 0) req.dnsOptions = strs(h.DnsOptions);
  if (strs(hc.ExtraHosts).length > 0) req.addHosts = strs(hc.ExtraHosts).map((e) => e.replace(/^([^:=]+)=/, '$1:'));
  const runtime = str(h.Runtime);
  if (runtime !== undefined && runtime !== 'runc' && runtime !== 'berth-runtime' && runtime !== 'berth') req.runtime = runtime;
  else if (runtime === 'runc') req.runtime = 'runc';
  const log = h.LogConfig as { Type?: string; Config?: Record<string, string> } | undefined;
  if (log?.Type !== undefined && log.Type !== '' && log.Type !== 'json-file' && log.Type !== 'local') {
    throw new BerthError('BERTH_EUNSUPPORTED', `logging driver "${log.Type}" is not supported (json-file is)`);
  }
  if (log?.Config?.['max-size'] !== undefined) req.logMaxSize = parseBytes('max-size', log.Config['max-size']);
  if (log?.Config?.['max-file'] !== undefined) req.logMaxFile = Number(log.Config['max-file']);
  return req;
}
