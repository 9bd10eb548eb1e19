import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ErrorCodes, BerthError, oneLine } from './errors.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try { readFileSync(join(dir, 'package.json')); return dir; } catch { /* go up */ }
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
}

test('every error code is documented in docs/errors.md and vice versa', () => {
  const doc = readFileSync(join(repoRoot(), 'docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/`(BERTH_E[A-Z]+)`/g)].map((m) => m[1]));
  const catalogued = new Set(Object.keys(ErrorCodes));
  assert.deepEqual([...documented].sort(), [...catalogued].sort());
});

test('oneLine keeps only the first line', () => {
  assert.equal(oneLine(new BerthError('BERTH_EINVAL', 'bad flag\nmore')), 'bad flag');
});
