// config.json → Spec: the one boundary where an untrusted bundle config becomes a typed value.
// Errors are BERTH_ESPEC with one line naming the field. Unknown fields are kept and ignored (the spec
// allows extensions). Semantics that need the host (capability names, rlimit names, bind sources) are
// checked later by plan/build-plan.ts, which knows the host.
import * as path from 'node:path';
import { BerthError } from '../errors.js';
import type { Process, Spec } from './runtime-spec.js';
import { HOOK_NAMES } from './runtime-spec.js';
import {
  absPath, fail, isObj, optArr, optBool, optInt, optObj, optStr, optStrArr, optStrMap, optU32,
  reqObj, reqStr, reqU32, specError, validateIdMappings, type Obj,
} from './json-check.js';
import { validateLinux } from './validate-linux.js';

// 1.0.0 through 1.2.x, with any pre-release (-rc5, -dev) or build suffix.
const SUPPORTED_VERSION = /^1\.[0-2]\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function isSupportedOciVersion(v: string): boolean {
  return SUPPORTED_VERSION.test(v);
}

export function parseSpec(text: string, opts: { bundle: string }): Spec {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_ESPEC', `config.json: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isObj(doc)) throw specError('the top level must be a JSON object');
  validateSpec(doc);
  const root = doc['root'] as Obj;
  root['path'] = path.resolve(opts.bundle, root['path'] as string);
  return doc as unknown as Spec;
}

/** Checks a parsed document in place; throws BERTH_ESPEC naming the first bad field. */
export function validateSpec(doc: Obj): void {
  const v = reqStr(doc['ociVersion'], 'ociVersion');
  if (!SUPPORTED_VERSION.test(v)) throw specError(`unsupported ociVersion "${v}"`);

  const root = reqObj(doc['root'], 'root');
  const rp = reqStr(root['path'], 'root.path');
  if (rp === '') fail('root.path', 'must not be empty');
  optBool(root['readonly'], 'root.readonly');

  optStr(doc['hostname'], 'hostname');
  optStr(doc['domainname'], 'domainname');
  const ann = optObj(doc['annotations'], 'annotations');
  if (ann) {
    for (const k in ann) {
      if (k === '') fail('annotations', 'must not have an empty key');
      if (typeof ann[k] !== 'string') fail(`annotations.${k}`, 'must be a string');
    }
  }

  const mounts = optArr(doc['mounts'], 'mounts');
  if (mounts) for (let i = 0; i < mounts.length; i++) validateMount(mounts[i], `mounts[${i}]`);

  if (doc['process'] !== undefined && doc['process'] !== null) validateProcess(doc['process'], 'process');

  const hooks = optObj(doc['hooks'], 'hooks');
  if (hooks) {
    for (const name of HOOK_NAMES) {
      const list = optArr(hooks[name], `hooks.${name}`);
      if (list) for (let i = 0; i < list.length; i++) validateHook(list[i], `hooks.${name}[${i}]`);
    }
  }

  const linux = optObj(doc['linux'], 'linux');
  if (linux) validateLinux(linux);
}

function validateMount(m: unknown, p: string): void {
  if (!isObj(m)) fail(p, 'must be an object');
  absPath(m['destination'], `${p}.destination`);
  optStr(m['type'], `${p}.type`);
  optStr(m['source'], `${p}.source`);
  optStrArr(m['options'], `${p}.options`);
  validateIdMappings(m['uidMappings'], `${p}.uidMappings`);
  validateIdMappings(m['gidMappings'], `${p}.gidMappings`);
}

function validateHook(h: unknown, p: string): void {
  if (!isObj(h)) fail(p, 'must be an object');
  absPath(h['path'], `${p}.path`);
  optStrArr(h['args'], `${p}.args`);
  optStrArr(h['env'], `${p}.env`);
  optInt(h['timeout'], `${p}.timeout`, 1);
}

const ENV_NAME_END = 61; // '='

/** Also used for `exec --process` JSON, which is a bare Process. */
export function validateProcess(v: unknown, p: string): void {
  const proc = reqObj(v, p);
  absPath(proc['cwd'], `${p}.cwd`);
  const args = optStrArr(proc['args'], `${p}.args`);
  if (!args) fail(`${p}.args`, 'is required');
  if (args.length === 0) fail(`${p}.args`, 'must not be empty');
  const env = optStrArr(proc['env'], `${p}.env`);
  if (env) {
    for (let i = 0; i < env.length; i++) {
      const e = env[i]!;
      const eq = e.indexOf('=');
      if (eq <= 0 || e.charCodeAt(0) === ENV_NAME_END) fail(`${p}.env[${i}]`, `must be KEY=value (got "${e}")`);
      if (e.includes('\0')) fail(`${p}.env[${i}]`, 'must not contain a NUL byte');
    }
  }
  optBool(proc['terminal'], `${p}.terminal`);
  const cs = optObj(proc['consoleSize'], `${p}.consoleSize`);
  if (cs) {
    reqU32(cs['height'], `${p}.consoleSize.height`);
    reqU32(cs['width'], `${p}.consoleSize.width`);
  }
  const user = optObj(proc['user'], `${p}.user`);
  if (user) {
    // runc treats a missing uid/gid as 0; so do we.
    optU32(user['uid'], `${p}.user.uid`);
    optU32(user['gid'], `${p}.user.gid`);
    optInt(user['umask'], `${p}.user.umask`, 0, 0o777);
    const gids = optArr(user['additionalGids'], `${p}.user.additionalGids`);
    if (gids) for (let i = 0; i < gids.length; i++) reqU32(gids[i], `${p}.user.additionalGids[${i}]`);
    optStr(user['username'], `${p}.user.username`);
  }
  const caps = optObj(proc['capabilities'], `${p}.capabilities`);
  if (caps) {
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
      optStrArr(caps[set], `${p}.capabilities.${set}`);
    }
  }
  const rl = optArr(proc['rlimits'], `${p}.rlimits`);
  if (rl) {
    for (let i = 0; i < rl.length; i++) {
      const r = rl[i];
      const rp = `${p}.rlimits[${i}]`;
      if (!isObj(r)) fail(rp, 'must be an object');
      reqStr(r['type'], `${rp}.type`);
      // uint64: 2^64-1 arrives as 18446744073709552000; it is saturated where it is used.
      optInt(r['hard'], `${rp}.hard`, 0);
      optInt(r['soft'], `${rp}.soft`, 0);
      if (r['hard'] === undefined) fail(`${rp}.hard`, 'is required');
      if (r['soft'] === undefined) fail(`${rp}.soft`, 'is required');
    }
  }
  optBool(proc['noNewPrivileges'], `${p}.noNewPrivileges`);
  optStr(proc['apparmorProfile'], `${p}.apparmorProfile`);
  optStr(proc['selinuxLabel'], `${p}.selinuxLabel`);
  optInt(proc['oomScoreAdj'], `${p}.oomScoreAdj`, -1000, 1000);
  const sch = optObj(proc['scheduler'], `${p}.scheduler`);
  if (sch) {
    reqStr(sch['policy'], `${p}.scheduler.policy`);
    optInt(sch['nice'], `${p}.scheduler.nice`, -20, 19);
    optInt(sch['priority'], `${p}.scheduler.priority`);
    optStrArr(sch['flags'], `${p}.scheduler.flags`);
    optInt(sch['runtime'], `${p}.scheduler.runtime`, 0);
    optInt(sch['deadline'], `${p}.scheduler.deadline`, 0);
    optInt(sch['period'], `${p}.scheduler.period`, 0);
  }
  const io = optObj(proc['ioPriority'], `${p}.ioPriority`);
  if (io) {
    const c = reqStr(io['class'], `${p}.ioPriority.class`);
    if (c !== 'IOPRIO_CLASS_RT' && c !== 'IOPRIO_CLASS_BE' && c !== 'IOPRIO_CLASS_IDLE') {
      throw specError(`${p}.ioPriority.class: unknown class "${c}"`);
    }
    optInt(io['priority'], `${p}.ioPriority.priority`, 0, 7);
  }
  const aff = optObj(proc['execCPUAffinity'], `${p}.execCPUAffinity`);
  if (aff) {
    optStr(aff['initial'], `${p}.execCPUAffinity.initial`);
    optStr(aff['final'], `${p}.execCPUAffinity.final`);
  }
}

/** The JSON of `exec --process FILE`: a bare Process, checked like config.json's. */
export function parseProcess(text: string, file = 'process.json'): Process {
  try {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new BerthError('BERTH_ESPEC', `config.json: invalid JSON: ${(e as Error).message}`, { cause: e });
    }
    validateProcess(doc, 'process');
    return doc as Process;
  } catch (e) {
    if (e instanceof BerthError && e.message.startsWith('config.json: ')) {
      throw new BerthError('BERTH_ESPEC', `${file}: ${e.message.slice('config.json: '.length)}`, { cause: e.cause });
    }
    throw e;
  }
}
