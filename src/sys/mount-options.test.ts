import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindRemountFlags, knownMountOptions, MS, parseMountOptions } from './mount-options.js';

test('MS_* values are the kernel\'s', () => {
  assert.equal(MS.RDONLY, 1n);
  assert.equal(MS.NOSUID, 2n);
  assert.equal(MS.NODEV, 4n);
  assert.equal(MS.NOEXEC, 8n);
  assert.equal(MS.REMOUNT, 32n);
  assert.equal(MS.BIND, 4096n);
  assert.equal(MS.REC, 16384n);
  assert.equal(MS.PRIVATE, 1n << 18n);
  assert.equal(MS.SLAVE, 1n << 19n);
  assert.equal(MS.SHARED, 1n << 20n);
  assert.equal(MS.RELATIME, 1n << 21n);
  assert.equal(MS.STRICTATIME, 1n << 24n);
});

test('each flag option sets its flag, each negation clears it', () => {
  const table: [string, bigint][] = [
    ['ro', MS.RDONLY], ['nosuid', MS.NOSUID], ['nodev', MS.NODEV], ['noexec', MS.NOEXEC], ['sync', MS.SYNCHRONOUS],
    ['remount', MS.REMOUNT], ['mand', MS.MANDLOCK], ['dirsync', MS.DIRSYNC], ['noatime', MS.NOATIME],
    ['nodiratime', MS.NODIRATIME], ['bind', MS.BIND], ['rbind', MS.BIND | MS.REC], ['relatime', MS.RELATIME],
    ['strictatime', MS.STRICTATIME], ['nosymfollow', MS.NOSYMFOLLOW], ['silent', MS.SILENT], ['acl', MS.POSIXACL],
    ['iversion', MS.I_VERSION], ['lazytime', MS.LAZYTIME], ['defaults', 0n],
  ];
  for (const [opt, flag] of table) assert.equal(parseMountOptions([opt]).flags, flag, opt);
  const negations: [string, string][] = [
    ['ro', 'rw'], ['nosuid', 'suid'], ['nodev', 'dev'], ['noexec', 'exec'], ['sync', 'async'], ['mand', 'nomand'],
    ['noatime', 'atime'], ['nodiratime', 'diratime'], ['relatime', 'norelatime'], ['strictatime', 'nostrictatime'],
    ['nosymfollow', 'symfollow'], ['silent', 'loud'], ['acl', 'noacl'], ['iversion', 'noiversion'], ['lazytime', 'nolazytime'],
  ];
  for (const [set, clear] of negations) {
    assert.equal(parseMountOptions([set, clear]).flags, 0n, `${set},${clear}`);
    assert.notEqual(parseMountOptions([clear, set]).flags, 0n, `${clear},${set}: the later option wins`);
  }
});

test('propagation options are collected in order, apart from the flags', () => {
  const table: [string, bigint][] = [
    ['private', MS.PRIVATE], ['rprivate', MS.PRIVATE | MS.REC], ['shared', MS.SHARED], ['rshared', MS.SHARED | MS.REC],
    ['slave', MS.SLAVE], ['rslave', MS.SLAVE | MS.REC], ['unbindable', MS.UNBINDABLE], ['runbindable', MS.UNBINDABLE | MS.REC],
  ];
  for (const [opt, flag] of table) {
    const p = parseMountOptions(['rbind', opt]);
    assert.deepEqual(p.propagation, [flag], opt);
    assert.equal(p.flags, MS.BIND | MS.REC, opt);
  }
  assert.deepEqual(parseMountOptions(['rprivate', 'rshared']).propagation, [MS.PRIVATE | MS.REC, MS.SHARED | MS.REC]);
});

test('unknown options become data in order; recursive and runtime options are set aside', () => {
  const p = parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  assert.equal(p.flags, MS.NOSUID | MS.STRICTATIME);
  assert.equal(p.data, 'mode=755,size=65536k');
  const q = parseMountOptions(['rro', 'tmpcopyup', 'idmap', 'uid=5']);
  assert.deepEqual(q.recursive, ['rro']);
  assert.deepEqual(q.runtime, ['tmpcopyup', 'idmap']);
  assert.equal(q.data, 'uid=5');
  assert.equal(parseMountOptions(undefined).flags, 0n);
});

test('runc spec\'s default mounts parse to the expected flags and data', () => {
  const expect: [string[], bigint, string][] = [
    [[], 0n, ''],
    [['nosuid', 'strictatime', 'mode=755', 'size=65536k'], MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'],
    [['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'], MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    [['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'], MS.NOSUID | MS.NOEXEC | MS.NODEV, 'mode=1777,size=65536k'],
    [['nosuid', 'noexec', 'nodev'], MS.NOSUID | MS.NOEXEC | MS.NODEV, ''],
    [['nosuid', 'noexec', 'nodev', 'ro'], MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, ''],
    [['nosuid', 'noexec', 'nodev', 'relatime', 'ro'], MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY, ''],
  ];
  for (const [opts, flags, data] of expect) {
    const p = parseMountOptions(opts);
    assert.equal(p.flags, flags, opts.join(','));
    assert.equal(p.data, data, opts.join(','));
  }
});

test('bind remount flags drop the bind-only bits', () => {
  assert.equal(bindRemountFlags(MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID), MS.RDONLY | MS.NOSUID);
  assert.equal(bindRemountFlags(MS.BIND | MS.REC), 0n);
});

test('knownMountOptions lists flags and propagation but not recursive attributes', () => {
  const k = knownMountOptions();
  for (const o of ['ro', 'rw', 'bind', 'rbind', 'rprivate', 'nosymfollow', 'strictatime']) assert.ok(k.includes(o), o);
  for (const o of ['rro', 'tmpcopyup', 'idmap']) assert.ok(!k.includes(o), o);
  assert.deepEqual(k, [...k].sort());
});
