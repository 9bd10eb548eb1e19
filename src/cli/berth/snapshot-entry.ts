// Entry of the V8 startup snapshot of berth (scripts/bundle.mjs builds it with
// `node --build-snapshot`; bin/berth starts from it). Every container operation starts berth, and
// loading and compiling its modules was most of the CPU of a short `berth run`: the snapshot holds
// them already evaluated. Everything that depends on the process (argv, env, the location of the
// files) is read after deserialization, in the main function below or later.
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { main } from './main.js';
import { capabilitySet } from '../../engine/spec.js';
import { compileSeccompCached, defaultSeccompProfile } from '../../runtime/seccomp/index.js';

// The verbs are loaded lazily by main (dynamic imports, which the CommonJS bundle inlines); the
// ones on the path of run, create, start, rm, ps, images and the monitor's callbacks are imported
// here so that they are evaluated into the snapshot, down to the engine's own lazy imports.
import './containers/lifecycle.js';
import './containers/query.js';
import './images/local.js';
import '../../engine/engine.js';
import '../../engine/create.js';
import '../../engine/start.js';
import '../../engine/stop.js';
import '../../engine/state.js';
import '../../engine/cleanup.js';
import '../../engine/remove.js';
import '../../engine/records.js';
import '../../engine/list.js';
import '../../engine/network.js';
import '../../engine/monitor/index.js';
import '../../engine/runtime-client.js';
import '../../image/store.js';
import '../../network/store.js';
import '../../network/attach.js';
import '../../network/netns.js';
import '../../network/ports.js';
import '../../runtime/logger.js';
import '../../runtime/seccomp/index.js';
import '../../sys/locate-helper.js';
import '../../runtime/lifecycle/create.js';
import '../../runtime/lifecycle/start.js';
import '../../runtime/lifecycle/kill.js';
import '../../runtime/lifecycle/delete.js';
import '../../runtime/lifecycle/query.js';

// A container with docker's default capabilities gets this filter: compiled now, at build time, it
// is in the snapshot's heap (src/runtime/seccomp/compile-cached.ts). The JSON round trip gives the
// text the runtime will see after reading config.json back.
const defaultProfile = defaultSeccompProfile({ capabilities: capabilitySet({ capAdd: [], capDrop: [], privileged: false }) });
compileSeccompCached(JSON.parse(JSON.stringify(defaultProfile)) as typeof defaultProfile);

declare global {
  // The bundle replaces import.meta.url with this (a CommonJS snapshot has no import.meta).
  var __berthModuleUrl: string | undefined;
}

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // argv[1] is the snapshot's script path that bin/berth passes: the dist directory.
  globalThis.__berthModuleUrl = pathToFileURL(process.argv[1] ?? '').href;
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`berth: ${String(e)}\n`); process.exitCode = 125; },
  );
});
