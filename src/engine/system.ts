// `system info` and `system df`: counts from the database, facts about the host.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import type { Engine } from './engine.js';
import { listContainers } from './list.js';
import { listVolumes, volumeSize, volumesInUse } from './volumes.js';

export async function systemInfo(engine: Engine) {
  const all = await listContainers(engine, { all: true });
  const images = await (await engine.images()).list().catch(() => []);
  let os = 'linux';
  try {
    os = /PRETTY_NAME="([^"]*)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* keep the default */
  }
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const { resolveRuntime } = await import('./runtime-client.js');
  const { findInitBinary } = await import('./create.js');
  let init = 'none (install tini or catatonit for --init)';
  try {
    init = findInitBinary();
  } catch {
    /* reported as none */
  }
  return {
    Containers: all.length,
    ContainersRunning: all.filter((c) => c.state === 'running').length,
    ContainersPaused: all.filter((c) => c.state === 'paused').length,
    ContainersStopped: all.filter((c) => c.state !== 'running' && c.state !== 'paused').length,
    Images: images.length,
    ServerVersion: '0.1.0',
    Driver: 'overlay',
    CgroupVersion: v2 ? '2' : '1',
    Runtimes: ['berth-runtime', ...(existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc') ? ['runc'] : [])],
    DefaultRuntime: resolveRuntime(undefined).name,
    InitBinary: init,
    KernelVersion: release(),
    OperatingSystem: os,
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: engine.paths.root,
    RunRoot: engine.paths.runRoot,
  };
}

export async function diskUsage(engine: Engine) {
  const all = await listContainers(engine, { all: true });
  const snap = (await engine.images()).snapshotter();
  let csize = 0;
  let creclaim = 0;
  for (const c of all) {
    const u = c.snapshotKey === null ? 0 : (await snap.usage(c.snapshotKey).catch(() => ({ size: 0 }))).size;
    csize += u;
    if (c.state !== 'running' && c.state !== 'paused') creclaim += u;
  }
  const used = volumesInUse(engine.db);
  const vols = listVolumes(engine.db);
  let vsize = 0;
  let vreclaim = 0;
  for (const v of vols) {
    const s = volumeSize(engine.paths, v.name);
    vsize += s;
    if (!used.has(v.name)) vreclaim += s;
  }
  const images = await (await engine.images()).list().catch(() => []);
  const isize = images.reduce((s, i) => s + i.size, 0);
  return [
    { Type: 'Images', TotalCount: images.length, Active: new Set(all.map((c) => c.imageId)).size, Size: isize, Reclaimable: 0 },
    { Type: 'Containers', TotalCount: all.length, Active: all.filter((c) => c.state === 'running').length, Size: csize, Reclaimable: creclaim },
    { Type: 'Local Volumes', TotalCount: vols.length, Active: used.size, Size: vsize, Reclaimable: vreclaim },
  ];
}
