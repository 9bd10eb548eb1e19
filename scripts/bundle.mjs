// Bundles the executables' entry points into dist/, split so that each verb's code is a chunk
// loaded only when that verb runs (they start for every container operation). berth-runtime also
// gets a V8 startup snapshot: the whole runtime already parsed, which bin/berth-runtime starts from.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

await build({
  entryPoints: {
    'berth-runtime': 'src/cli/berth-runtime/entry.ts',
    berth: 'src/cli/berth/entry.ts',
    // The per-network DNS server, a long-lived process of its own (src/network/dns/daemon.ts).
    'berth-dns': 'src/network/dns/daemon-entry.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
});

// A snapshot's entry must be one CommonJS script without user-land require().
await build({
  entryPoints: { 'berth-runtime.snapshot': 'src/cli/berth-runtime/snapshot-entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  define: { 'import.meta.url': 'globalThis.__berthModuleUrl' },
});
const blob = 'dist/berth-runtime.blob';
rmSync(blob, { force: true });
try {
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', 'dist/berth-runtime.snapshot.cjs'], { stdio: 'inherit' });
  // The blob only loads into the node that made it: check it once, so a bad one is never used.
  execFileSync(process.execPath, ['--snapshot-blob', blob, 'dist/berth-runtime.snapshot.cjs', '--version'], { stdio: 'ignore' });
} catch (e) {
  rmSync(blob, { force: true });
  console.warn(`bundle: no startup snapshot (${e.message.split('\n')[0]}); berth-runtime runs from the plain bundle`);
}
