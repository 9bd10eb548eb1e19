// container prune, volume create|ls|inspect|rm|prune, system info|df|prune, version.
import { BerthError } from '../../../errors.js';
import type { BerthCommand } from '../command.js';
import { atLeast, forEach, openEngine } from './common.js';
import { humanSize, parseFormat, printItems, write } from './output.js';
import { VERSION } from '../main.js';

function confirmFlag(p: { flags: Record<string, unknown> }): void {
  if (p.flags.force !== true && process.stdin.isTTY) {
    // docker asks; berth requires -f on a terminal instead of prompting.
    throw new BerthError('BERTH_EINVAL', 'this removes data: pass -f to confirm');
  }
}

export const containerPrune: BerthCommand = {
  summary: 'remove all stopped containers',
  usage: '[-f]',
  flags: { force: { kind: 'bool', short: 'f' }, filter: { kind: 'strings' } },
  async run(g, p) {
    confirmFlag(p);
    const engine = await openEngine(g);
    const { pruneContainers } = await import('../../../engine/remove.js');
    const ids = await pruneContainers(engine);
    write(`Deleted Containers:\n${ids.map((i) => `${i}\n`).join('')}\nTotal reclaimed space: 0B\n`);
    return 0;
  },
};

function volumeJson(engine: import('../../../engine/engine.js').Engine, v: import('../../../engine/volumes.js').VolumeRecord, data: string): Record<string, unknown> {
  return { CreatedAt: v.createdAt, Driver: v.driver, Labels: v.labels, Mountpoint: data, Name: v.name, Options: v.options, Scope: 'local', Anonymous: v.anonymous, Root: engine.paths.root };
}

export const volumeCreate: BerthCommand = {
  summary: 'create a volume',
  usage: '[--label K=V]... [NAME]',
  flags: { label: { kind: 'strings', short: 'l' }, driver: { kind: 'string', short: 'd' }, opt: { kind: 'strings', short: 'o' }, name: { kind: 'string' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { createVolume } = await import('../../../engine/volumes.js');
    const { parseLabel } = await import('../../../engine/parse.js');
    if ((p.flags.opt as string[]).length > 0) throw new BerthError('BERTH_EUNSUPPORTED', 'volume create --opt: the local driver takes no options in berth yet');
    const name = (p.flags.name as string | undefined) ?? p.positionals[0];
    const v = createVolume(engine.db, engine.paths, {
      ...(name !== undefined ? { name } : {}),
      labels: Object.fromEntries((p.flags.label as string[]).map(parseLabel)),
      ...(p.flags.driver !== undefined ? { driver: p.flags.driver as string } : {}),
    });
    write(`${v.name}\n`);
    return 0;
  },
};

export const volumeLs: BerthCommand = {
  summary: 'list volumes',
  usage: '[-q] [--filter dangling=true|name=X|label=K] [--format json|TEMPLATE]',
  flags: { quiet: { kind: 'bool', short: 'q' }, filter: { kind: 'strings', short: 'f' }, format: { kind: 'string' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { listVolumes, volumesInUse, volumeData } = await import('../../../engine/volumes.js');
    const used = volumesInUse(engine.db);
    let vols = listVolumes(engine.db);
    for (const f of p.flags.filter as string[]) {
      const [k, v = ''] = f.split('=', 2) as [string, string?];
      if (k === 'dangling') vols = vols.filter((x) => (v === 'true' || v === '1') === !used.has(x.name));
      else if (k === 'name') vols = vols.filter((x) => x.name.includes(v));
      else if (k === 'label') vols = vols.filter((x) => (v.includes('=') ? x.labels[v.split('=')[0]!] === v.split('=')[1] : v in x.labels));
      else throw new BerthError('BERTH_EINVAL', `invalid filter "${k}"`);
    }
    if (p.flags.quiet === true) {
      write(vols.map((v) => `${v.name}\n`).join(''));
      return 0;
    }
    printItems(vols.map((v) => ({ ...volumeJson(engine, v, volumeData(engine.paths, v.name)) })), parseFormat(p.flags.format as string | undefined), (items) => [
      ['DRIVER', 'VOLUME NAME'],
      ...items.map((v) => [String(v.Driver), String(v.Name)]),
    ]);
    return 0;
  },
};

export const volumeInspect: BerthCommand = {
  summary: 'show volumes in detail',
  usage: 'VOLUME...',
  flags: { format: { kind: 'string', short: 'f' } },
  async run(g, p) {
    const names = atLeast(p, 1, 'volume inspect', 'VOLUME');
    const engine = await openEngine(g);
    const { getVolume, volumeData } = await import('../../../engine/volumes.js');
    const out = names.map((n) => {
      const v = getVolume(engine.db, n);
      if (v === undefined) throw new BerthError('BERTH_ENOTFOUND', `no such volume: ${n}`);
      return volumeJson(engine, v, volumeData(engine.paths, v.name));
    });
    const fmt = p.flags.format as string | undefined;
    if (fmt !== undefined) {
      const { renderTemplate } = await import('./output.js');
      write(out.map((o) => renderTemplate(fmt, o) + '\n').join(''));
    } else write(JSON.stringify(out, null, 4) + '\n');
    return 0;
  },
};

export const volumeRm: BerthCommand = {
  summary: 'remove volumes (not while a container uses them)',
  usage: '[-f] VOLUME...',
  flags: { force: { kind: 'bool', short: 'f' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { removeVolume } = await import('../../../engine/volumes.js');
    return forEach(g, atLeast(p, 1, 'volume rm', 'VOLUME'), async (n) => {
      removeVolume(engine.db, engine.paths, n, { force: p.flags.force === true });
      return n;
    });
  },
};

export const volumePrune: BerthCommand = {
  summary: 'remove unused anonymous volumes (-a: all unused volumes)',
  usage: '[-a] [-f]',
  flags: { force: { kind: 'bool', short: 'f' }, all: { kind: 'bool', short: 'a' }, filter: { kind: 'strings' } },
  async run(g, p) {
    confirmFlag(p);
    const engine = await openEngine(g);
    const { listVolumes, volumesInUse, removeVolume, volumeSize } = await import('../../../engine/volumes.js');
    const used = volumesInUse(engine.db);
    const gone: string[] = [];
    let space = 0;
    for (const v of listVolumes(engine.db)) {
      if (used.has(v.name) || (!v.anonymous && p.flags.all !== true)) continue;
      space += volumeSize(engine.paths, v.name);
      removeVolume(engine.db, engine.paths, v.name);
      gone.push(v.name);
    }
    write(`Deleted Volumes:\n${gone.map((n) => `${n}\n`).join('')}\nTotal reclaimed space: ${humanSize(space)}\n`);
    return 0;
  },
};

export const systemInfo: BerthCommand = {
  summary: 'show system-wide information',
  usage: '[--format json|TEMPLATE]',
  flags: { format: { kind: 'string', short: 'f' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { systemInfo: info } = await import('../../../engine/system.js');
    const i = await info(engine);
    const fmt = p.flags.format as string | undefined;
    if (fmt === 'json') write(JSON.stringify(i) + '\n');
    else if (fmt !== undefined) {
      const { renderTemplate } = await import('./output.js');
      write(renderTemplate(fmt, i) + '\n');
    } else {
      write(`Containers: ${i.Containers}\n Running: ${i.ContainersRunning}\n Paused: ${i.ContainersPaused}\n Stopped: ${i.ContainersStopped}\n` +
        `Images: ${i.Images}\nServer Version: ${i.ServerVersion}\nStorage Driver: ${i.Driver}\nLogging Driver: json-file\n` +
        `Cgroup Version: ${i.CgroupVersion}\nRuntimes: ${i.Runtimes.join(' ')}\nDefault Runtime: ${i.DefaultRuntime}\n` +
        `Init Binary: ${i.InitBinary}\nKernel Version: ${i.KernelVersion}\nOperating System: ${i.OperatingSystem}\n` +
        `CPUs: ${i.NCPU}\nTotal Memory: ${humanSize(i.MemTotal)}\nDocker Root Dir: ${i.DockerRootDir}\nRun Root: ${i.RunRoot}\n`);
    }
    return 0;
  },
};

export const systemDf: BerthCommand = {
  summary: 'show disk usage',
  usage: '',
  flags: { format: { kind: 'string' }, verbose: { kind: 'bool', short: 'v' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { diskUsage } = await import('../../../engine/system.js');
    const d = await diskUsage(engine);
    printItems(d, parseFormat(p.flags.format as string | undefined), (rows) => [
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      ...rows.map((r) => [r.Type, String(r.TotalCount), String(r.Active), humanSize(r.Size), humanSize(r.Reclaimable)]),
    ]);
    return 0;
  },
};

export const systemPrune: BerthCommand = {
  summary: 'remove stopped containers (and with --volumes unused anonymous volumes)',
  usage: '[-f] [--volumes]',
  flags: { force: { kind: 'bool', short: 'f' }, volumes: { kind: 'bool' }, all: { kind: 'bool', short: 'a' } },
  differences: 'images are pruned by `berth image prune` (the image store).',
  async run(g, p) {
    confirmFlag(p);
    const engine = await openEngine(g);
    const { pruneContainers } = await import('../../../engine/remove.js');
    const ids = await pruneContainers(engine);
    write(`Deleted Containers:\n${ids.map((i) => `${i}\n`).join('')}`);
    const net = await import('../../../engine/network.js');
    await net.reconcileContainerNetworks(engine, { always: true });
    const nets = await net.pruneUnusedNetworks(engine);
    if (nets.length > 0) write(`Deleted Networks:\n${nets.map((n) => `${n}\n`).join('')}`);
    if (p.flags.volumes === true) {
      const { listVolumes, volumesInUse, removeVolume } = await import('../../../engine/volumes.js');
      const used = volumesInUse(engine.db);
      const gone = listVolumes(engine.db).filter((v) => v.anonymous && !used.has(v.name));
      for (const v of gone) removeVolume(engine.db, engine.paths, v.name);
      write(`Deleted Volumes:\n${gone.map((v) => `${v.name}\n`).join('')}`);
    }
    return 0;
  },
};

export const version: BerthCommand = {
  summary: 'show the version of berth and its parts',
  usage: '[--format json]',
  flags: { format: { kind: 'string', short: 'f' } },
  async run(_g, p) {
    const v = {
      Client: { Version: VERSION, ApiVersion: '1.43', Os: 'linux', Arch: process.arch, NodeVersion: process.version },
      Server: { Version: VERSION, Components: [{ Name: 'berth-runtime', Version: VERSION }, { Name: 'berth-monitor', Version: VERSION }] },
    };
    if (p.flags.format === 'json') write(JSON.stringify(v) + '\n');
    else write(`berth version ${VERSION}\nnode ${process.version}\nos/arch linux/${process.arch}\n`);
    return 0;
  },
};
