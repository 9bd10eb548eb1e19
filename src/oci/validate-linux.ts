// The `linux` object of config.json (config-linux.md). See validate-spec.ts for the conventions.
import { NAMESPACE_TYPES } from './runtime-spec.js';
import {
  absPath, fail, isObj, optAbsPath, optAbsPathArr, optArr, optBool, optInt, optObj, optStr, optStrArr,
  optStrMap, optU32, oneOf, reqBool, reqInt, reqObj, reqStr, reqU32, specError, U32_MAX, validateIdMappings, type Obj,
} from './json-check.js';

const NS_TYPES: ReadonlySet<string> = new Set(NAMESPACE_TYPES);
const DEVICE_TYPES: ReadonlySet<string> = new Set(['c', 'b', 'u', 'p']);
const TIME_CLOCKS: ReadonlySet<string> = new Set(['monotonic', 'boottime']);
/** The spec names four; runc also takes the recursive forms, and so do we. */
export const ROOTFS_PROPAGATIONS: ReadonlySet<string> = new Set([
  'shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable',
]);

export function validateLinux(linux: Obj): void {
  const seen = new Set<string>();
  const nss = optArr(linux['namespaces'], 'linux.namespaces');
  if (nss) {
    for (let i = 0; i < nss.length; i++) {
      const ns = nss[i];
      const p = `linux.namespaces[${i}]`;
      if (!isObj(ns)) fail(p, 'must be an object');
      const t = reqStr(ns['type'], `${p}.type`);
      oneOf(t, NS_TYPES, `${p}.type`, 'unknown namespace type');
      if (seen.has(t)) throw specError(`${p}.type: duplicate namespace type "${t}"`);
      seen.add(t);
      const nsPath = ns['path'];
      if (nsPath !== undefined && nsPath !== null && nsPath !== '') absPath(nsPath, `${p}.path`);
    }
  }
  const newNs = (t: string): boolean =>
    (nss ?? []).some((n) => isObj(n) && n['type'] === t && (n['path'] === undefined || n['path'] === ''));

  validateIdMappings(linux['uidMappings'], 'linux.uidMappings');
  validateIdMappings(linux['gidMappings'], 'linux.gidMappings');
  const hasMaps = (k: string): boolean => Array.isArray(linux[k]) && (linux[k] as unknown[]).length > 0;
  for (const k of ['uidMappings', 'gidMappings']) {
    if (hasMaps(k) && !seen.has('user')) throw specError(`linux.${k} requires a user namespace`);
    if (!hasMaps(k) && newNs('user')) throw specError(`linux.${k} is required for a new user namespace`);
  }

  const to = optObj(linux['timeOffsets'], 'linux.timeOffsets');
  if (to) {
    for (const clock in to) {
      const p = `linux.timeOffsets.${clock}`;
      oneOf(clock, TIME_CLOCKS, 'linux.timeOffsets', 'unknown clock');
      const o = reqObj(to[clock], p);
      optInt(o['secs'], `${p}.secs`);
      optInt(o['nanosecs'], `${p}.nanosecs`, 0, 999999999);
    }
    if (Object.keys(to).length > 0 && !newNs('time')) throw specError('linux.timeOffsets requires a new time namespace');
  }

  const devs = optArr(linux['devices'], 'linux.devices');
  if (devs) {
    for (let i = 0; i < devs.length; i++) {
      const d = devs[i];
      const p = `linux.devices[${i}]`;
      if (!isObj(d)) fail(p, 'must be an object');
      absPath(d['path'], `${p}.path`);
      const t = reqStr(d['type'], `${p}.type`);
      oneOf(t, DEVICE_TYPES, `${p}.type`, 'unknown device type');
      if (t !== 'p') {
        reqInt(d['major'], `${p}.major`, 0, U32_MAX);
        reqInt(d['minor'], `${p}.minor`, 0, U32_MAX);
      }
      optU32(d['fileMode'], `${p}.fileMode`);
      optU32(d['uid'], `${p}.uid`);
      optU32(d['gid'], `${p}.gid`);
    }
  }

  optStr(linux['cgroupsPath'], 'linux.cgroupsPath');
  const res = optObj(linux['resources'], 'linux.resources');
  if (res) validateResources(res, 'linux.resources');
  optStrMap(linux['sysctl'], 'linux.sysctl');
  const sc = optObj(linux['seccomp'], 'linux.seccomp');
  if (sc) validateSeccomp(sc);

  const prop = linux['rootfsPropagation'];
  if (prop !== undefined && prop !== null && prop !== '') {
    const s = reqStr(prop, 'linux.rootfsPropagation');
    oneOf(s, ROOTFS_PROPAGATIONS, 'linux.rootfsPropagation', 'unknown propagation');
  }
  optAbsPathArr(linux['maskedPaths'], 'linux.maskedPaths');
  optAbsPathArr(linux['readonlyPaths'], 'linux.readonlyPaths');
  optStr(linux['mountLabel'], 'linux.mountLabel');

  const rdt = optObj(linux['intelRdt'], 'linux.intelRdt');
  if (rdt) {
    for (const k of ['closID', 'schemata', 'l3CacheSchema', 'memBwSchema']) optStr(rdt[k], `linux.intelRdt.${k}`);
    optBool(rdt['enableCMT'], 'linux.intelRdt.enableCMT');
    optBool(rdt['enableMBM'], 'linux.intelRdt.enableMBM');
  }
  const pers = optObj(linux['personality'], 'linux.personality');
  if (pers) {
    const d = reqStr(pers['domain'], 'linux.personality.domain');
    if (d !== 'LINUX' && d !== 'LINUX32') throw specError(`linux.personality.domain: unknown domain "${d}"`);
    optStrArr(pers['flags'], 'linux.personality.flags');
  }
}

/** Also used by `update --resources`, which carries a bare LinuxResources. */
export function validateResources(res: Obj, p: string): void {
  const devs = optArr(res['devices'], `${p}.devices`);
  if (devs) {
    for (let i = 0; i < devs.length; i++) {
      const d = devs[i];
      const dp = `${p}.devices[${i}]`;
      if (!isObj(d)) fail(dp, 'must be an object');
      reqBool(d['allow'], `${dp}.allow`);
      const t = d['type'];
      if (t !== undefined && t !== null && t !== '' && t !== 'a' && t !== 'c' && t !== 'b') {
        throw specError(`${dp}.type: unknown device type "${String(t)}"`);
      }
      optInt(d['major'], `${dp}.major`, -1);
      optInt(d['minor'], `${dp}.minor`, -1);
      optStr(d['access'], `${dp}.access`);
      if (typeof d['access'] === 'string' && !/^[rwm]*$/.test(d['access'])) {
        throw specError(`${dp}.access: must be made of r, w and m (got "${d['access']}")`);
      }
    }
  }
  const mem = optObj(res['memory'], `${p}.memory`);
  if (mem) {
    for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) optInt(mem[k], `${p}.memory.${k}`, -1);
    optInt(mem['swappiness'], `${p}.memory.swappiness`, 0);
    for (const k of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']) optBool(mem[k], `${p}.memory.${k}`);
  }
  const cpu = optObj(res['cpu'], `${p}.cpu`);
  if (cpu) {
    for (const k of ['shares', 'burst', 'period', 'realtimePeriod']) optInt(cpu[k], `${p}.cpu.${k}`, 0);
    for (const k of ['quota', 'realtimeRuntime', 'idle']) optInt(cpu[k], `${p}.cpu.${k}`);
    optStr(cpu['cpus'], `${p}.cpu.cpus`);
    optStr(cpu['mems'], `${p}.cpu.mems`);
  }
  const pids = optObj(res['pids'], `${p}.pids`);
  if (pids) reqInt(pids['limit'], `${p}.pids.limit`);
  const bio = optObj(res['blockIO'], `${p}.blockIO`);
  if (bio) {
    optInt(bio['weight'], `${p}.blockIO.weight`, 0, 65535);
    optInt(bio['leafWeight'], `${p}.blockIO.leafWeight`, 0, 65535);
    const wd = optArr(bio['weightDevice'], `${p}.blockIO.weightDevice`);
    if (wd) {
      for (let i = 0; i < wd.length; i++) {
        const e = reqObj(wd[i], `${p}.blockIO.weightDevice[${i}]`);
        reqInt(e['major'], `${p}.blockIO.weightDevice[${i}].major`, 0);
        reqInt(e['minor'], `${p}.blockIO.weightDevice[${i}].minor`, 0);
        optInt(e['weight'], `${p}.blockIO.weightDevice[${i}].weight`, 0, 65535);
        optInt(e['leafWeight'], `${p}.blockIO.weightDevice[${i}].leafWeight`, 0, 65535);
      }
    }
    for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
      const td = optArr(bio[k], `${p}.blockIO.${k}`);
      if (!td) continue;
      for (let i = 0; i < td.length; i++) {
        const e = reqObj(td[i], `${p}.blockIO.${k}[${i}]`);
        reqInt(e['major'], `${p}.blockIO.${k}[${i}].major`, 0);
        reqInt(e['minor'], `${p}.blockIO.${k}[${i}].minor`, 0);
        reqInt(e['rate'], `${p}.blockIO.${k}[${i}].rate`, 0);
      }
    }
  }
  const hp = optArr(res['hugepageLimits'], `${p}.hugepageLimits`);
  if (hp) {
    for (let i = 0; i < hp.length; i++) {
      const e = reqObj(hp[i], `${p}.hugepageLimits[${i}]`);
      reqStr(e['pageSize'], `${p}.hugepageLimits[${i}].pageSize`);
      reqInt(e['limit'], `${p}.hugepageLimits[${i}].limit`, 0);
    }
  }
  const net = optObj(res['network'], `${p}.network`);
  if (net) {
    optU32(net['classID'], `${p}.network.classID`);
    const pr = optArr(net['priorities'], `${p}.network.priorities`);
    if (pr) {
      for (let i = 0; i < pr.length; i++) {
        const e = reqObj(pr[i], `${p}.network.priorities[${i}]`);
        reqStr(e['name'], `${p}.network.priorities[${i}].name`);
        reqU32(e['priority'], `${p}.network.priorities[${i}].priority`);
      }
    }
  }
  const rdma = optObj(res['rdma'], `${p}.rdma`);
  if (rdma) {
    for (const dev in rdma) {
      const e = reqObj(rdma[dev], `${p}.rdma.${dev}`);
      optU32(e['hcaHandles'], `${p}.rdma.${dev}.hcaHandles`);
      optU32(e['hcaObjects'], `${p}.rdma.${dev}.hcaObjects`);
    }
  }
  optStrMap(res['unified'], `${p}.unified`);
}

function validateSeccomp(sc: Obj): void {
  const p = 'linux.seccomp';
  reqStr(sc['defaultAction'], `${p}.defaultAction`);
  optU32(sc['defaultErrnoRet'], `${p}.defaultErrnoRet`);
  optStrArr(sc['architectures'], `${p}.architectures`);
  optStrArr(sc['flags'], `${p}.flags`);
  optAbsPath(sc['listenerPath'], `${p}.listenerPath`);
  optStr(sc['listenerMetadata'], `${p}.listenerMetadata`);
  if (sc['listenerMetadata'] && !sc['listenerPath']) fail(`${p}.listenerMetadata`, 'needs linux.seccomp.listenerPath');
  const calls = optArr(sc['syscalls'], `${p}.syscalls`);
  if (!calls) return;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    const cp = `${p}.syscalls[${i}]`;
    if (!isObj(c)) fail(cp, 'must be an object');
    const names = optStrArr(c['names'], `${cp}.names`);
    if (!names || names.length === 0) fail(`${cp}.names`, 'must have at least one entry');
    reqStr(c['action'], `${cp}.action`);
    optU32(c['errnoRet'], `${cp}.errnoRet`);
    const args = optArr(c['args'], `${cp}.args`);
    if (!args) continue;
    for (let j = 0; j < args.length; j++) {
      const a = args[j];
      const ap = `${cp}.args[${j}]`;
      if (!isObj(a)) fail(ap, 'must be an object');
      reqInt(a['index'], `${ap}.index`, 0, 5);
      reqInt(a['value'], `${ap}.value`, 0);
      optInt(a['valueTwo'], `${ap}.valueTwo`, 0);
      reqStr(a['op'], `${ap}.op`);
    }
  }
}
