// What every case module gets, and the few assertion helpers they share.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { RunResult } from '../../helpers/exec.js';
import { RuntimeHarness } from '../../helpers/harness.js';
import type { RuntimeUnderTest } from '../../helpers/runtime-under-test.js';

export interface Suite {
  rt: RuntimeUnderTest;
  cgroupParent: string;
}

export function harness(t: TestContext, s: Suite): RuntimeHarness {
  return RuntimeHarness.forTest(t, s);
}

/** Asserts an exit status, showing the output when it is wrong. */
export function assertExit(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

export function assertOk(r: RunResult, what: string): void {
  assertExit(r, 0, what);
}

/** Errors exit 1 (runc's convention, which callers such as containerd rely on). */
export function assertFails(r: RunResult, what: string): void {
  assertExit(r, 1, what);
}
