import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHooks } from './run-hooks.js';

test('a hook gets the state on stdin, its args and env', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  runHooks('prestart', [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}; echo >> ${out}; echo "$0 $FOO" >> ${out}`, 'arg0'], env: ['FOO=bar'] }], { id: 'c1', status: 'creating' });
  const [json, line] = readFileSync(out, 'utf8').split('\n');
  assert.deepEqual(JSON.parse(json!), { id: 'c1', status: 'creating' });
  assert.equal(line, 'arg0 bar');
});

test('a failing hook names its phase, index and status', () => {
  assert.throws(
    () => runHooks('createRuntime', [{ path: '/bin/true' }, { path: '/bin/sh', args: ['sh', '-c', 'echo boom >&2; exit 3'] }], {}),
    /createRuntime hook #1 \(\/bin\/sh\): exit status 3: boom/,
  );
});

test('a hook that outlives its timeout is killed', () => {
  assert.throws(() => runHooks('poststart', [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }], {}), /timed out after 1s/);
});

test('a missing hook binary is an error', () => {
  assert.throws(() => runHooks('prestart', [{ path: '/nonexistent/hook' }], {}), /prestart hook #0 \(\/nonexistent\/hook\)/);
});
