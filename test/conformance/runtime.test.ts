// The OCI runtime conformance suite, run once per runtime: runc proves the tests, berth-runtime is
// what they test. Select with BERTH_CONFORMANCE_RUNTIMES=runc,berth-runtime (default: both).
// A runtime whose binary is missing fails every case rather than skipping.
import { after, before, describe } from 'node:test';
import { removeCgroupTree } from '../helpers/cgroups.js';
import { assertRuntimeInstalled, selectedRuntimes } from '../helpers/runtime-under-test.js';
import { badInputCases } from './cases/bad-input.js';
import { berthSecurityCases } from './cases/berth-security.js';
import { cgroupCases } from './cases/cgroups.js';
import type { Suite } from './cases/context.js';
import { execCases } from './cases/exec.js';
import { hookCases } from './cases/hooks.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { mountCases } from './cases/mounts.js';
import { namespaceCases } from './cases/namespaces.js';
import { privilegeCases } from './cases/privileges.js';
import { processCases } from './cases/process.js';
import { startHookCases } from './cases/start-hooks.js';
import { toolingCases } from './cases/tooling.js';
import { ttyCases } from './cases/tty.js';
import { wallCases } from './cases/walls.js';

for (const rt of selectedRuntimes()) {
  // One cgroup parent per runtime and run, so leftovers are easy to find and remove.
  const suite: Suite = { rt, cgroupParent: `/berth-conformance-${rt.name}-${process.pid}` };
  describe(`OCI runtime conformance: ${rt.name}`, { concurrency: true }, () => {
    before(() => assertRuntimeInstalled(rt));
    after(() => removeCgroupTree(suite.cgroupParent));
    lifecycleCases(suite);
    processCases(suite);
    execCases(suite);
    mountCases(suite);
    namespaceCases(suite);
    cgroupCases(suite);
    hookCases(suite);
    badInputCases(suite);
    ttyCases(suite);
    toolingCases(suite);
    wallCases(suite);
    privilegeCases(suite);
    startHookCases(suite);
    // What runc 1.1.5 does not do (or does its own way): berth only.
    if (rt.name === 'berth-runtime') berthSecurityCases(suite);
  });
}
