// Where a container's files live. Persistent things (bundle, hosts files, log) go under the storage
// root; sockets, the exit file and runtime state go under the run root, which a reboot empties.
// The run dir is named by the short id: a unix socket path must fit in 107 bytes.
import { join } from 'node:path';
import { shortId } from './ids.js';

export interface EnginePaths {
  root: string;
  runRoot: string;
}

export interface ContainerPaths {
  dir: string;
  bundle: string;
  rootfs: string;
  configJson: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
  log: string;
  runDir: string;
  attach: string;
  exitFile: string;
  pidFile: string;
}

export function runtimeRoot(p: EnginePaths): string {
  return join(p.runRoot, 'runtime');
}

export function containerPaths(p: EnginePaths, id: string): ContainerPaths {
  const dir = join(p.root, 'containers', id);
  const bundle = join(dir, 'bundle');
  const runDir = join(p.runRoot, 'c', shortId(id));
  return {
    dir,
    bundle,
    rootfs: join(bundle, 'rootfs'),
    configJson: join(bundle, 'config.json'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    log: join(dir, `${id}-json.log`),
    runDir,
    attach: join(runDir, 'attach'),
    exitFile: join(runDir, 'exit'),
    pidFile: join(runDir, 'pid'),
  };
}

export function volumesDir(p: EnginePaths): string {
  return join(p.root, 'volumes');
}
