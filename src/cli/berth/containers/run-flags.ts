// docker's run/create flags and their translation into the engine's CreateRequest. Every value is
// checked here or in src/engine/parse.ts, so a bad one fails before anything is made.
import { BerthError } from '../../../errors.js';
import type { FlagSpecs, Parsed } from '../../args.js';
import { defaultRequest, type CreateRequest, type HealthConfig, type NetworkMode } from '../../../engine/config.js';
import {
  expandEnv, parseBytes, parseCpus, parseDuration, parseLabel, parseMountFlag, parseRestart, parseSwap, parseThrottle,
  parseTmpfsFlag, parseUlimit, parseVolumeFlag, readEnvFile,
} from '../../../engine/parse.js';
import { readFileSync } from 'node:fs';
import { parsePublish } from '../../../network/ports.js';
import { parseNetworkBandwidth } from '../../../network/bandwidth.js';
import { parseAddHost } from '../../../network/container-files.js';
import { isIP } from 'node:net';
import type { EndpointRequest, PublishSpec } from '../../../engine/config.js';

export const CREATE_FLAGS: FlagSpecs = {
  name: { kind: 'string' },
  interactive: { kind: 'bool', short: 'i' },
  tty: { kind: 'bool', short: 't' },
  rm: { kind: 'bool' },
  env: { kind: 'strings', short: 'e' },
  'env-file': { kind: 'strings' },
  workdir: { kind: 'string', short: 'w' },
  user: { kind: 'string', short: 'u' },
  entrypoint: { kind: 'string' },
  label: { kind: 'strings', short: 'l' },
  hostname: { kind: 'string', short: 'h' },
  volume: { kind: 'strings', short: 'v' },
  mount: { kind: 'strings' },
  tmpfs: { kind: 'strings' },
  'read-only': { kind: 'bool' },
  memory: { kind: 'string', short: 'm' },
  'memory-swap': { kind: 'string' },
  cpus: { kind: 'string' },
  'cpu-shares': { kind: 'int', short: 'c' },
  'cpu-quota': { kind: 'int' },
  'cpu-period': { kind: 'int' },
  'cpuset-cpus': { kind: 'string' },
  'pids-limit': { kind: 'int' },
  'blkio-weight': { kind: 'int' },
  'device-read-bps': { kind: 'strings' },
  'device-write-bps': { kind: 'strings' },
  ulimit: { kind: 'strings' },
  'cap-add': { kind: 'strings' },
  'cap-drop': { kind: 'strings' },
  privileged: { kind: 'bool' },
  'security-opt': { kind: 'strings' },
  userns: { kind: 'string' },
  init: { kind: 'bool' },
  'stop-signal': { kind: 'string' },
  'stop-timeout': { kind: 'int' },
  restart: { kind: 'string' },
  'health-cmd': { kind: 'string' },
  'health-interval': { kind: 'string' },
  'health-retries': { kind: 'int' },
  'health-timeout': { kind: 'string' },
  'health-start-period': { kind: 'string' },
  'no-healthcheck': { kind: 'bool' },
  network: { kind: 'strings' },
  net: { kind: 'strings' },
  publish: { kind: 'strings', short: 'p' },
  'publish-all': { kind: 'bool', short: 'P' },
  expose: { kind: 'strings' },
  ip: { kind: 'string' },
  dns: { kind: 'strings' },
  'dns-search': { kind: 'strings' },
  'dns-option': { kind: 'strings' },
  'dns-opt': { kind: 'strings' },
  'add-host': { kind: 'strings' },
  'network-alias': { kind: 'strings' },
  'net-alias': { kind: 'strings' },
  'mac-address': { kind: 'string' },
  'network-bandwidth': { kind: 'string' },
  runtime: { kind: 'string' },
  'log-opt': { kind: 'strings' },
  'log-driver': { kind: 'string' },
  pull: { kind: 'string' },
};

export const RUN_FLAGS: FlagSpecs = {
  ...CREATE_FLAGS,
  detach: { kind: 'bool', short: 'd' },
  'sig-proxy': { kind: 'bool', default: true },
};

export const RUN_DIFFERENCES = `--network bridge (the default) joins berth's default network "berth"; user networks, none, host and
container:NAME work as docker's; several --network flags join several networks. Networks are IPv4 only.
--network-bandwidth ingress=RATE,egress=RATE limits the container's traffic (tc units: 10mbit, 1gbit).
--init runs the process under catatonit or tini-static, bound at /dev/init (install either package).
--userns takes "host" and podman's "auto" (root inside is an unprivileged host uid, from the
range of user "berth" in /etc/subuid and /etc/subgid, else 100000-165535; one range for every
container, where podman gives each its own). --log-driver takes only json-file. Restart policies and healthchecks work
without a daemon: the per-container monitor carries them out.`;

const str = (p: Parsed, k: string): string | undefined => p.flags[k] as string | undefined;
const strs = (p: Parsed, k: string): string[] => (p.flags[k] as string[] | undefined) ?? [];
const int = (p: Parsed, k: string): number | undefined => p.flags[k] as number | undefined;

/** docker's long form: --network name=NET,alias=A,ip=IP,mac-address=MAC. */
function endpointOf(v: string): EndpointRequest {
  if (!v.includes('=')) return { name: v };
  const e: EndpointRequest = { name: '' };
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq);
    const val = part.slice(eq + 1);
    if (k === 'name') e.name = val;
    else if (k === 'alias') (e.aliases ??= []).push(val);
    else if (k === 'ip') e.ip = val;
    else if (k === 'mac-address') e.mac = val;
    else throw new BerthError('BERTH_EINVAL', `invalid --network ${v}: unknown key "${k}" (want name, alias, ip, mac-address)`);
  }
  if (e.name === '') throw new BerthError('BERTH_EINVAL', `invalid --network ${v}: name is required`);
  return e;
}

/** --network (repeatable) with --network-alias, --ip and --mac-address applied to the first one. */
function network(p: Parsed): { mode: NetworkMode; endpoints: EndpointRequest[] } {
  const given = [...strs(p, 'network'), ...strs(p, 'net')];
  const eps = (given.length > 0 ? given : ['default']).map(endpointOf).map((e) => (e.name === 'bridge' ? { ...e, name: 'default' } : e));
  const first = eps[0]!;
  const aliases = [...strs(p, 'network-alias'), ...strs(p, 'net-alias')];
  if (aliases.length > 0) first.aliases = [...(first.aliases ?? []), ...aliases];
  const ip = str(p, 'ip');
  if (ip !== undefined) {
    if (isIP(ip) !== 4) throw new BerthError('BERTH_EINVAL', `invalid --ip "${ip}": not an IPv4 address`);
    first.ip = ip;
  }
  const mac = str(p, 'mac-address');
  if (mac !== undefined) {
    if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw new BerthError('BERTH_EINVAL', `invalid --mac-address "${mac}"`);
    first.mac = mac.toLowerCase();
  }
  const special = eps.filter((e) => e.name === 'none' || e.name === 'host' || e.name.startsWith('container:'));
  if (special.length > 0 && eps.length > 1) {
    throw new BerthError('BERTH_EINVAL', 'conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }
  if (special.length > 0) {
    const { name, ...rest } = first;
    return { mode: name, endpoints: Object.keys(rest).length > 0 ? [first] : [] };
  }
  return { mode: first.name, endpoints: eps };
}

function publishFlags(p: Parsed): PublishSpec[] {
  const out: PublishSpec[] = [];
  for (const v of strs(p, 'publish')) {
    for (const s of parsePublish(v)) out.push({ ...s, protocol: s.protocol as 'tcp' | 'udp' });
  }
  return out;
}

function exposeFlags(p: Parsed): string[] {
  const out: string[] = [];
  for (const v of strs(p, 'expose')) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(v.trim());
    if (m === null) throw new BerthError('BERTH_EINVAL', `invalid --expose "${v}": want PORT[-PORT][/tcp|udp]`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > 65535 || b < a) throw new BerthError('BERTH_EINVAL', `invalid --expose "${v}": ports are 1-65535`);
    for (let n = a; n <= b; n++) out.push(`${n}/${m[3] ?? 'tcp'}`);
  }
  return out;
}

function health(p: Parsed): HealthConfig | undefined {
  if (p.flags['no-healthcheck'] === true) return { test: ['NONE'] };
  const cmd = str(p, 'health-cmd');
  const h: HealthConfig = { test: cmd === undefined ? [] : ['CMD-SHELL', cmd] };
  const d = (flag: string): number | undefined => {
    const v = str(p, flag);
    return v === undefined ? undefined : parseDuration(`--${flag}`, v);
  };
  const interval = d('health-interval');
  const timeout = d('health-timeout');
  const start = d('health-start-period');
  const retries = int(p, 'health-retries');
  if (interval !== undefined) h.interval = interval;
  if (timeout !== undefined) h.timeout = timeout;
  if (start !== undefined) h.startPeriod = start;
  if (retries !== undefined) h.retries = retries;
  if (cmd === undefined && interval === undefined && timeout === undefined && start === undefined && retries === undefined) return undefined;
  return h;
}

export function toCreateRequest(p: Parsed): CreateRequest {
  const [image, ...cmd] = p.positionals;
  if (image === undefined || image === '') throw new BerthError('BERTH_EINVAL', 'an image is required: berth run [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const req = defaultRequest(image);
  req.cmd = cmd;
  const name = str(p, 'name');
  if (name !== undefined) req.name = name;
  req.openStdin = p.flags.interactive === true;
  req.tty = p.flags.tty === true;
  req.autoRemove = p.flags.rm === true;
  req.env = [...strs(p, 'env-file').flatMap(readEnvFile), ...strs(p, 'env').flatMap((e) => expandEnv(e))];
  const wd = str(p, 'workdir');
  if (wd !== undefined) req.workingDir = wd;
  const user = str(p, 'user');
  if (user !== undefined) req.user = user;
  const ep = str(p, 'entrypoint');
  if (ep !== undefined) req.entrypoint = ep === '' ? [] : [ep];
  req.labels = Object.fromEntries(strs(p, 'label').map(parseLabel));
  const hn = str(p, 'hostname');
  if (hn !== undefined) req.hostname = hn;
  req.mounts = [...strs(p, 'volume').map(parseVolumeFlag), ...strs(p, 'mount').map(parseMountFlag), ...strs(p, 'tmpfs').map(parseTmpfsFlag)];
  const targets = new Set<string>();
  for (const m of req.mounts) {
    if (targets.has(m.target)) throw new BerthError('BERTH_EINVAL', `duplicate mount point: ${m.target}`);
    targets.add(m.target);
  }
  req.readOnly = p.flags['read-only'] === true;
  const r = req.resources;
  const mem = str(p, 'memory');
  if (mem !== undefined) r.memory = parseBytes('--memory', mem);
  if (r.memory !== undefined && r.memory < 6 * 1024 * 1024) throw new BerthError('BERTH_EINVAL', 'minimum memory limit allowed is 6MB');
  const swap = str(p, 'memory-swap');
  if (swap !== undefined) r.memorySwap = parseSwap(swap);
  const cpus = str(p, 'cpus');
  if (cpus !== undefined) r.nanoCpus = parseCpus(cpus);
  const set = <K extends keyof typeof r>(k: K, v: (typeof r)[K] | undefined): void => {
    if (v !== undefined) r[k] = v;
  };
  set('cpuShares', int(p, 'cpu-shares'));
  set('cpuQuota', int(p, 'cpu-quota'));
  set('cpuPeriod', int(p, 'cpu-period'));
  set('cpusetCpus', str(p, 'cpuset-cpus'));
  set('pidsLimit', int(p, 'pids-limit'));
  set('blkioWeight', int(p, 'blkio-weight'));
  if (r.nanoCpus !== undefined && (r.cpuQuota !== undefined || r.cpuPeriod !== undefined)) {
    throw new BerthError('BERTH_EINVAL', '--cpus conflicts with --cpu-quota and --cpu-period: use one or the other');
  }
  r.deviceReadBps = strs(p, 'device-read-bps').map((d) => parseThrottle('--device-read-bps', d));
  r.deviceWriteBps = strs(p, 'device-write-bps').map((d) => parseThrottle('--device-write-bps', d));
  req.ulimits = strs(p, 'ulimit').map(parseUlimit);
  req.capAdd = strs(p, 'cap-add').flatMap((c) => c.split(','));
  req.capDrop = strs(p, 'cap-drop').flatMap((c) => c.split(','));
  req.privileged = p.flags.privileged === true;
  for (const o of strs(p, 'security-opt')) {
    if (o === 'no-new-privileges' || o === 'no-new-privileges:true' || o === 'no-new-privileges=true') req.noNewPrivileges = true;
    else if (o === 'no-new-privileges:false' || o === 'no-new-privileges=false') req.noNewPrivileges = false;
    else if (/^seccomp[=:]/.test(o)) {
      const v = o.slice(8);
      if (v === 'unconfined') req.seccomp = 'unconfined';
      else {
        try {
          req.seccomp = readFileSync(v, 'utf8');
        } catch (e) {
          throw new BerthError('BERTH_EINVAL', `--security-opt seccomp=${v}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
    } else if (/^(label|apparmor)[=:]/.test(o)) continue; // no SELinux or AppArmor here: accepted, as docker does without them
    else throw new BerthError('BERTH_EINVAL', `invalid --security-opt "${o}"`);
  }
  const userns = str(p, 'userns');
  if (userns !== undefined) req.userns = userns;
  req.init = p.flags.init === true;
  const ss = str(p, 'stop-signal');
  if (ss !== undefined) req.stopSignal = ss;
  const st = int(p, 'stop-timeout');
  if (st !== undefined) req.stopTimeout = st;
  const restart = str(p, 'restart');
  if (restart !== undefined) req.restart = parseRestart(restart);
  if (req.autoRemove && req.restart.name !== 'no') throw new BerthError('BERTH_EINVAL', 'conflicting options: --restart and --rm');
  const hc = health(p);
  if (hc !== undefined) req.healthcheck = hc;
  const net = network(p);
  req.network = net.mode;
  if (net.endpoints.length > 0) req.endpoints = net.endpoints;
  const publish = publishFlags(p);
  if (req.network === 'host' && (publish.length > 0 || p.flags['publish-all'] === true)) {
    // docker's behaviour: the container uses the host's ports directly.
    process.stderr.write('WARNING: Published ports are discarded when using host network mode\n');
  } else {
    if (publish.length > 0) req.publish = publish;
    if (p.flags['publish-all'] === true) req.publishAll = true;
  }
  const expose = exposeFlags(p);
  if (expose.length > 0) req.expose = expose;
  const dns = strs(p, 'dns');
  for (const d of dns) if (isIP(d) === 0) throw new BerthError('BERTH_EINVAL', `invalid --dns "${d}": not an IP address`);
  if (dns.length > 0) req.dns = dns;
  const search = strs(p, 'dns-search');
  if (search.length > 0) req.dnsSearch = search.filter((x) => x !== '.');
  const dopts = [...strs(p, 'dns-option'), ...strs(p, 'dns-opt')];
  if (dopts.length > 0) req.dnsOptions = dopts;
  const hosts = strs(p, 'add-host');
  // Checked now (host-gateway is resolved at start, against the container's first network).
  for (const h of hosts) parseAddHost(h, '127.0.0.1');
  if (hosts.length > 0) req.addHosts = hosts;
  const bw = str(p, 'network-bandwidth');
  if (bw !== undefined) req.bandwidth = parseNetworkBandwidth(bw);
  const rt = str(p, 'runtime');
  if (rt !== undefined) req.runtime = rt;
  const ld = str(p, 'log-driver');
  if (ld !== undefined && ld !== 'json-file') throw new BerthError('BERTH_EUNSUPPORTED', `--log-driver ${ld}: only json-file is supported`);
  for (const o of strs(p, 'log-opt')) {
    const [k, v = ''] = o.split('=', 2) as [string, string?];
    if (k === 'max-size') req.logMaxSize = parseBytes('--log-opt max-size', v);
    else if (k === 'max-file') {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new BerthError('BERTH_EINVAL', `invalid --log-opt max-file=${v}`);
      req.logMaxFile = Number(v);
    } else throw new BerthError('BERTH_EINVAL', `unknown --log-opt "${k}" (json-file takes max-size and max-file)`);
  }
  const ps = str(p, 'pull');
  if (ps !== undefined && !['missing', 'never', 'always'].includes(ps)) throw new BerthError('BERTH_EINVAL', `invalid --pull "${ps}"`);
  return req;
}
