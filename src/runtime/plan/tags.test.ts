// native/plan.h and tags.ts must agree on every number: the C helper and TypeScript share no code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Mode, MountTarget, Sync, Tag } from './tags.js';

function planHeader(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'native', 'plan.h'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('native/plan.h not found above this module');
    dir = up;
  }
  return readFileSync(join(dir, 'native', 'plan.h'), 'utf8');
}

const groups: [prefix: string, table: Record<string, number>][] = [
  ['SYNC_', Sync],
  ['PLAN_', Tag],
  ['MODE_', Mode],
  ['MOUNT_TARGET_', MountTarget],
];

it('every #define of native/plan.h matches tags.ts, and nothing is missing on either side', () => {
  const defines = new Map<string, number>();
  for (const m of planHeader().matchAll(/^#define\s+([A-Z][A-Z0-9_]*)\s+(\d+)\b/gm)) defines.set(m[1]!, Number(m[2]));
  assert.ok(defines.size > 40, `only ${defines.size} defines parsed`);

  const expected = new Map<string, number>();
  for (const [prefix, table] of groups) {
    for (const [name, value] of Object.entries(table)) expected.set(prefix + name, value);
  }
  assert.deepEqual(Object.fromEntries([...defines].sort()), Object.fromEntries([...expected].sort()));
});

it('tags are unique within the sync frames and within the plan records', () => {
  for (const table of [Sync, Tag]) {
    const values = Object.values(table);
    assert.equal(new Set(values).size, values.length);
  }
  for (const v of Object.values(Tag)) assert.ok(!(Object.values(Sync) as number[]).includes(v), `plan tag ${v} collides with a sync tag`);
});
