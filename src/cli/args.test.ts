import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './args.js';

const specs = {
  bundle: { kind: 'string' as const, short: 'b' },
  detach: { kind: 'bool' as const, short: 'd' },
  tty: { kind: 'bool' as const, short: 't' },
  env: { kind: 'strings' as const, short: 'e' },
  'preserve-fds': { kind: 'int' as const, default: 0 },
};

test('long, inline, short and repeated flags', () => {
  const p = parseArgs(['--bundle', '/b', '-e', 'A=1', '--env=B=2', '--preserve-fds=2', 'id'], specs);
  assert.equal(p.flags.bundle, '/b');
  assert.deepEqual(p.flags.env, ['A=1', 'B=2']);
  assert.equal(p.flags['preserve-fds'], 2);
  assert.deepEqual(p.positionals, ['id']);
});

test('single-dash long flags as urfave-cli accepts them', () => {
  assert.equal(parseArgs(['-bundle', '/x'], specs).flags.bundle, '/x');
});

test('bundled short booleans', () => {
  const p = parseArgs(['-dt', 'x'], specs);
  assert.equal(p.flags.detach, true);
  assert.equal(p.flags.tty, true);
});

test('stopAtPositional leaves the command line of the process alone', () => {
  const p = parseArgs(['-d', 'id', 'sh', '-c', 'echo'], specs, { stopAtPositional: true });
  assert.deepEqual(p.positionals, ['id', 'sh', '-c', 'echo']);
});

test('errors name the flag', () => {
  assert.throws(() => parseArgs(['--nope'], specs), /unknown flag: --nope/);
  assert.throws(() => parseArgs(['--bundle'], specs), /flag needs an argument: --bundle/);
  assert.throws(() => parseArgs(['--preserve-fds', 'x'], specs), /not an integer/);
});
