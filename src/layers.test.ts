// Enforces the layer boundaries of DESIGN.md: imports point down only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ALLOWED: Record<string, string[]> = {
  cli: ['cli', 'api', 'engine', 'image', 'storage', 'network', 'runtime', 'oci', 'sys'],
  api: ['api', 'engine', 'image', 'storage', 'network', 'runtime', 'oci', 'sys'],
  engine: ['engine', 'image', 'storage', 'network', 'runtime', 'oci', 'sys'],
  image: ['image', 'storage', 'oci', 'sys'],
  // Network records live in the metadata database, which the storage layer owns.
  network: ['network', 'storage', 'oci', 'sys'],
  storage: ['storage', 'oci', 'sys'],
  runtime: ['runtime', 'oci', 'sys'],
  oci: ['oci'],
  sys: ['sys'],
};

function srcDir(): string {
  // Runs from build/src/layers.test.js; read the TypeScript sources.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try { statSync(join(dir, 'package.json')); return join(dir, 'src'); } catch { /* up */ }
    dir = dirname(dir);
  }
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield p;
  }
}

test('imports between src/ layers point down only', () => {
  const src = srcDir();
  const violations: string[] = [];
  for (const file of tsFiles(src)) {
    const layer = relative(src, file).split('/')[0]!;
    // The builder runs its steps in containers, through the runtime, as the engine does.
    const allowed = relative(src, file).startsWith('image/build/') ? [...ALLOWED.image!, 'runtime'] : ALLOWED[layer];
    if (!allowed) continue; // top-level shared modules (errors.ts)
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)) {
      const target = relative(src, resolve(dirname(file), m[1]!));
      if (target.startsWith('..')) violations.push(`${relative(src, file)} imports outside src: ${m[1]}`);
      const targetLayer = target.split('/')[0]!;
      if (ALLOWED[targetLayer] && !allowed.includes(targetLayer)) {
        violations.push(`${relative(src, file)} (${layer}) imports ${target} (${targetLayer})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
