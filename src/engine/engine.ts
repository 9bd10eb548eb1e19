// The engine's handle: the database, the storage and run roots, and how to reach the image store,
// the runtime and the berth CLI (for the monitor's exit and health commands).
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../errors.js';
import { openDb, type Db } from '../storage/metadata/db.js';
import { openImages, type ImageStore } from './images.js';
import { findContainer, type ContainerRecord } from './records.js';
import { runtimeRoot, type EnginePaths } from './paths.js';
import { RuntimeClient, resolveRuntime } from './runtime-client.js';

export const CLI_ENV = 'BERTH_CLI';

function findCli(from: string): string {
  const override = process.env[CLI_ENV];
  if (override !== undefined && override !== '') return override;
  // The berth that is running now calls itself back (bin/berth, or build/'s entry in tests).
  const self = process.argv[1];
  if (self !== undefined && /(^|\/)(berth\.mjs|entry\.js)$/.test(self)) return self;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'bin', 'berth');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* keep walking */
    }
    if (dirname(dir) === dir) break;
  }
  throw new BerthError('BERTH_EUNSUPPORTED', `bin/berth not found above ${from}`);
}

export class Engine {
  readonly db: Db;
  readonly paths: EnginePaths;

  private constructor(paths: EnginePaths) {
    this.paths = paths;
    this.db = openDb(paths.root);
  }

  static open(paths: EnginePaths): Engine {
    return new Engine(paths);
  }

  images(): Promise<ImageStore> {
    return openImages(this.paths.root);
  }

  runtime(rec: ContainerRecord): RuntimeClient {
    const r = rec.config.resolved;
    return new RuntimeClient({ path: r.runtime, name: r.runtimeName, builtin: r.runtimeName === 'berth-runtime' }, runtimeRoot(this.paths));
  }

  runtimeByName(name: string | undefined): RuntimeClient {
    return new RuntimeClient(resolveRuntime(name), runtimeRoot(this.paths));
  }

  find(ref: string): ContainerRecord {
    return findContainer(this.db, ref);
  }

  /**
   * How the monitor calls back into berth with this engine's roots: bin/berth is an executable
   * (a shell wrapper that starts node from a snapshot), a .js/.mjs entry is run with this node.
   */
  cliCommand(...args: string[]): { path: string; args: string[] } {
    const cli = findCli(dirname(fileURLToPath(import.meta.url)));
    const rest = ['--root', this.paths.root, '--run-root', this.paths.runRoot, ...args];
    return /\.(c|m)?js$/.test(cli) ? { path: process.execPath, args: [cli, ...rest] } : { path: cli, args: rest };
  }
}
