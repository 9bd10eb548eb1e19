import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { cpuQuota, parseBytes, parseCpus, parseDuration, parseEnvFileText, parseMountFlag, parseRestart, parseTmpfsFlag, parseUlimit, parseVolumeFlag } from './parse.js';
import { capabilitySet, DOCKER_DEFAULT_CAPS } from './spec.js';
import { nextHealth } from './health.js';

describe('engine flag parsers', () => {
  it('sizes, cpus, durations', () => {
    assert.equal(parseBytes('--memory', '64m'), 64 * 1024 * 1024);
    assert.equal(parseBytes('--memory', '1g'), 1024 ** 3);
    assert.throws(() => parseBytes('--memory', '12x'), /invalid value "12x" for --memory/);
    assert.deepEqual(cpuQuota(parseCpus('1.5')), { quota: 150000, period: 100000 });
    assert.equal(parseDuration('--health-interval', '1m30s'), 90e9);
    assert.equal(parseDuration('--health-interval', '300ms'), 300e6);
    assert.throws(() => parseDuration('--health-interval', '5 sec'));
  });
  it('restart policies and ulimits', () => {
    assert.deepEqual(parseRestart('on-failure:2'), { name: 'on-failure', maximumRetryCount: 2 });
    assert.throws(() => parseRestart('always:3'));
    assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
    assert.throws(() => parseUlimit('nofile=10:5'), /soft limit/);
  });
  it('-v, --mount, --tmpfs', () => {
    assert.deepEqual(parseVolumeFlag('/host:/ctr:ro'), { type: 'bind', source: '/host', target: '/ctr', readOnly: true, options: [] });
    assert.equal(parseVolumeFlag('named:/data').type, 'volume');
    assert.equal(parseVolumeFlag('/anon').anonymous, true);
    assert.throws(() => parseVolumeFlag('rel/path:/x'));
    assert.equal(parseMountFlag('type=bind,source=/a,target=/b,readonly').readOnly, true);
    assert.deepEqual(parseTmpfsFlag('/run:size=1m,mode=1777').options, ['size=1048576', 'mode=1777']);
  });
  it('env files', () => {
    assert.deepEqual(parseEnvFileText('# c\nA=1\n\nB=two words\nHOSTVAR\n', { HOSTVAR: 'h' }), ['A=1', 'B=two words', 'HOSTVAR=h']);
  });
  it('capabilities: docker defaults, add and drop', () => {
    const noAdd = { capAdd: [], capDrop: [], privileged: false };
    assert.equal(capabilitySet(noAdd).length, DOCKER_DEFAULT_CAPS.length);
    const caps = capabilitySet({ capAdd: ['SYS_ADMIN'], capDrop: ['net_raw'], privileged: false });
    assert.ok(caps.includes('CAP_SYS_ADMIN') && !caps.includes('CAP_NET_RAW'));
    assert.throws(() => capabilitySet({ capAdd: ['NOPE'], capDrop: [], privileged: false }), /unknown capability/);
  });
  it('health transitions', () => {
    const e = (code: number) => ({ Start: '', End: '', ExitCode: code, Output: '' });
    let h = nextHealth(null, e(1), { retries: 2, inStartPeriod: true });
    assert.equal(h.Status, 'starting');
    assert.equal(h.FailingStreak, 0);
    h = nextHealth(h, e(1), { retries: 2, inStartPeriod: false });
    h = nextHealth(h, e(1), { retries: 2, inStartPeriod: false });
    assert.equal(h.Status, 'unhealthy');
    h = nextHealth(h, e(0), { retries: 2, inStartPeriod: false });
    assert.equal(h.Status, 'healthy');
    for (let i = 0; i < 10; i++) h = nextHealth(h, e(0), { retries: 2, inStartPeriod: false });
    assert.equal(h.Log.length, 5);
  });
});
