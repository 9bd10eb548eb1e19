// berth-runtime's own promise for bad input: status 1 and exactly one line on stderr that names
// the offending field, path or id (no stack trace). runc words its errors differently, so these
// are not in the common suite. Fails, does not skip, while bin/berth-runtime does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeCgroupTree } from '../helpers/cgroups.js';
import { assertRuntimeInstalled, BERTH_RUNTIME } from '../helpers/runtime-under-test.js';
import { BAD_INPUTS } from './cases/bad-input.js';
import { assertFails, harness, type Suite } from './cases/context.js';

const suite: Suite = { rt: BERTH_RUNTIME, cgroupParent: `/berth-errors-${process.pid}` };

describe('berth-runtime error messages', { concurrency: true }, () => {
  before(() => assertRuntimeInstalled(BERTH_RUNTIME));
  after(() => removeCgroupTree(suite.cgroupParent));
  for (const bad of BAD_INPUTS) {
    it(`${bad.name}: one line naming it`, async (t) => {
      const h = harness(t, suite);
      const id = h.id();
      const { result, bundleDir } = await bad.attempt(h, id);
      assertFails(result, bad.name);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line expected:\n${result.stderr}`);
      assert.ok(lines[0]!.includes(bad.names({ id, bundleDir })), `"${lines[0]}" should name ${bad.names({ id, bundleDir })}`);
      assert.doesNotMatch(lines[0]!, /^\s+at /);
      assert.deepEqual(await h.listIds(), []);
    });
  }
});
