// Bundles the two executables' entry points into dist/, split so that each verb's code is a chunk
// loaded only when that verb runs (they start for every container operation).
import { build } from 'esbuild';

await build({
  entryPoints: {
    'berth-runtime': 'src/cli/berth-runtime/entry.ts',
    berth: 'src/cli/berth/entry.ts',
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
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
});
