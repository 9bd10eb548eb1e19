// Bundles the executables' entry points into dist/, split so that each verb's code is a chunk
// loaded only when that verb runs (they start for every container operation). berth-runtime and
// berth also get V8 startup snapshots (their code already loaded), which bin/ starts them from.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';

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

// Built-in modules that node has not verified in user snapshots, which berth's snapshot holds
// loaded: the tests run bin/berth from the snapshot (test/integration/berth-bin.test.ts), so their
// warnings are only noise in the build's output. Any other warning is shown.
const VERIFIED = new Set(['node:child_process', 'node:dgram', 'node:module']);
function withoutVerifiedWarnings(log) {
  const kept = [];
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /whether built-in module "([^"]+)" works in user snapshot builder scripts/.exec(lines[i]);
    if (m && VERIFIED.has(m[1])) i += 2; // and the warning's two lines of advice
    else if (!lines[i].includes('--trace-warnings')) kept.push(lines[i]);
  }
  return kept.join('\n');
}

// A snapshot's entry must be one CommonJS script without user-land require() (native addons are
// loaded at first use, through createRequire). The CommonJS format also inlines the verbs'
// dynamic imports, so the snapshot holds every verb, and the ones its entry imports evaluated.
for (const name of ['berth-runtime', 'berth']) {
  const script = `dist/${name}.snapshot.cjs`;
  await build({
    entryPoints: { [`${name}.snapshot`]: `src/cli/${name}/snapshot-entry.ts` },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    define: { 'import.meta.url': 'globalThis.__berthModuleUrl' },
  });
  const blob = `dist/${name}.blob`;
  // Built beside the old blob and renamed over it, so a command starting meanwhile never reads half
  // a snapshot.
  const tmp = `${blob}.tmp-${process.pid}`;
  try {
    const made = spawnSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', script], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
    process.stderr.write(withoutVerifiedWarnings(made.stderr ?? ''));
    if (made.status !== 0) throw new Error(`node --build-snapshot ${script} failed (${made.error?.message ?? made.status ?? made.signal})`);
    // The blob only loads into the node that made it: check it once, so a bad one is never used.
    execFileSync(process.execPath, ['--snapshot-blob', tmp, script, '--version'], { stdio: 'ignore' });
    renameSync(tmp, blob);
  } catch (e) {
    rmSync(tmp, { force: true });
    rmSync(blob, { force: true });
    console.warn(`bundle: no startup snapshot for ${name} (${e.message.split('\n')[0]}); bin/${name} runs from the plain bundle`);
  }
}
