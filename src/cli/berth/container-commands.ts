// Container, volume and system verbs of `berth` (the engine issue). verb → lazily loaded command.
// The modules are under containers/; "container X" aliases give docker's grouped spelling.
import type { BerthCommand, CommandTable } from './command.js';

const life = (name: string) => async (): Promise<BerthCommand> => ((await import('./containers/lifecycle.js')) as unknown as Record<string, BerthCommand>)[name]!;
const query = (name: string) => async (): Promise<BerthCommand> => ((await import('./containers/query.js')) as unknown as Record<string, BerthCommand>)[name]!;
const files = (name: string) => async (): Promise<BerthCommand> => ((await import('./containers/files.js')) as unknown as Record<string, BerthCommand>)[name]!;
const admin = (name: string) => async (): Promise<BerthCommand> => ((await import('./containers/admin.js')) as unknown as Record<string, BerthCommand>)[name]!;

const verbs: CommandTable = {
  run: life('run'),
  create: life('create'),
  start: life('start'),
  stop: life('stop'),
  kill: life('kill'),
  restart: life('restart'),
  rm: life('rm'),
  pause: life('pause'),
  unpause: life('unpause'),
  wait: life('wait'),
  rename: life('rename'),
  attach: life('attach'),
  exec: life('exec'),
  ps: query('ps'),
  inspect: query('inspect'),
  logs: query('logs'),
  top: query('top'),
  stats: query('stats'),
  port: query('port'),
  cp: files('cp'),
  diff: files('diff'),
  commit: files('commit'),
  export: files('exportCmd'),
  'container-prune': admin('containerPrune'),
  'volume create': admin('volumeCreate'),
  'volume ls': admin('volumeLs'),
  'volume list': admin('volumeLs'),
  'volume inspect': admin('volumeInspect'),
  'volume rm': admin('volumeRm'),
  'volume remove': admin('volumeRm'),
  'volume prune': admin('volumePrune'),
  'system info': admin('systemInfo'),
  // 'system df' is the images side's (image-commands.ts); engine/system.ts diskUsage() has the
  // containers and volumes rows for it to merge.
  'system prune': admin('systemPrune'),
  info: admin('systemInfo'),
  version: admin('version'),
  // Called by berth-monitor, not by users: hidden from the usage list (it has a space).
  'container cleanup': life('cleanup'),
  'healthcheck run': life('healthcheckRun'),
};

const grouped = ['run', 'create', 'start', 'stop', 'kill', 'restart', 'pause', 'unpause', 'wait', 'rename', 'attach', 'exec',
  'inspect', 'logs', 'top', 'stats', 'port', 'cp', 'diff', 'commit', 'export'];
for (const v of grouped) verbs[`container ${v}`] = verbs[v]!;

export const containerCommands: CommandTable = verbs;
