// Entry of the V8 startup snapshot of berth-runtime (scripts/bundle.mjs builds it with
// `node --build-snapshot`). The snapshot holds the parsed runtime, so a container operation skips
// loading and compiling it. Everything that depends on the process (argv, env, pid, the location
// of the files) is read after deserialization, in the main function below.
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { main } from './main.js';

declare global {
  // The bundle replaces import.meta.url with this (a CommonJS snapshot has no import.meta).
  var __berthModuleUrl: string | undefined;
}

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // argv[1] is the snapshot's script path that bin/berth-runtime passes: the dist directory.
  globalThis.__berthModuleUrl = pathToFileURL(process.argv[1] ?? '').href;
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`berth-runtime: ${String(e)}\n`); process.exitCode = 1; },
  );
});
