// Invalid input must fail with status 1 and leave nothing half-made. The table is shared with
// berth-errors.test.ts, which also checks berth's one-line messages (runc's wording differs).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RunResult } from '../../helpers/exec.js';
import type { RuntimeHarness } from '../../helpers/harness.js';
import type { Spec } from '../../helpers/spec.js';
import { assertFails, harness, type Suite } from './context.js';

export interface BadInput {
  name: string;
  /** What berth's message must name (a field, a path, an id). */
  names: (ctx: { id: string; bundleDir: string }) => string;
  /** Only where runc agrees that the input is invalid. */
  common: boolean;
  attempt: (h: RuntimeHarness, id: string) => Promise<{ result: RunResult; bundleDir: string }>;
}

async function createWith(h: RuntimeHarness, id: string, edit: (spec: Spec) => void) {
  const b = h.bundle(id, ['true'], edit);
  return { result: await h.create(id, b), bundleDir: b.dir };
}

const onUnknownId = (verb: string[]): BadInput => ({
  name: `${verb[0]} of an unknown container id`,
  names: ({ id }) => id,
  common: true,
  attempt: async (h, id) => ({ result: await h.run([...verb, id]), bundleDir: '' }),
});

export const BAD_INPUTS: BadInput[] = [
  {
    name: 'a missing bundle directory',
    names: ({ bundleDir }) => bundleDir,
    common: true,
    attempt: async (h, id) => {
      const bundleDir = `${h.root}/no-such-bundle`;
      return { result: await h.run(['create', '--bundle', bundleDir, id], { outputFile: `${h.root}/create.log` }), bundleDir };
    },
  },
  {
    name: 'config.json that is not JSON',
    names: () => 'config.json',
    common: true,
    attempt: async (h, id) => {
      const b = h.bundle(id, ['true']);
      writeFileSync(b.path('config.json'), '{ "ociVersion": "1.0.2", oops');
      return { result: await h.create(id, b), bundleDir: b.dir };
    },
  },
  // runc 1.1.5 accepts any ociVersion (it runs "2.0.0" and "0.5.0"), so this one is berth-only.
  { name: 'an unsupported ociVersion', names: () => 'ociVersion', common: false, attempt: (h, id) => createWith(h, id, (spec) => (spec.ociVersion = '2.0.0')) },
  {
    name: 'an unknown namespace type',
    names: () => 'linux.namespaces',
    common: true,
    attempt: (h, id) => createWith(h, id, (spec) => spec.linux.namespaces.push({ type: 'nonsense' })),
  },
  { name: 'a relative process.cwd', names: () => 'process.cwd', common: true, attempt: (h, id) => createWith(h, id, (spec) => (spec.process.cwd = 'tmp')) },
  onUnknownId(['state']),
  onUnknownId(['start']),
  onUnknownId(['kill']),
  onUnknownId(['delete']),
];

export function badInputCases(s: Suite): void {
  describe('bad input', { concurrency: true }, () => {
    for (const bad of BAD_INPUTS.filter((b) => b.common)) {
      it(`${bad.name} fails with status 1 and leaves nothing`, async (t) => {
        const h = harness(t, s);
        const { result } = await bad.attempt(h, h.id());
        assertFails(result, bad.name);
        assert.deepEqual(await h.listIds(), []);
      });
    }
  });
}
