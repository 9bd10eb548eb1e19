import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import {
  blkioWeightToIoWeight, checkResources, parseBlkioV1, parseFlatKeyed, parseIoStatV2, parseLimit, pidsMax, sharesToWeight,
  sharesToWeightLinear, swapToV2,
} from './convert.js';
import { deviceRule } from './v1-apply.js';
import { ioMaxLines } from './v2-apply.js';

describe('cgroup value conversions', () => {
  it('maps cpu.shares to cpu.weight with the quadratic runc ≥1.3.2 / crun ≥1.23 formula', () => {
    const table: Array<[number, number]> = [
      [0, 0], [1, 1], [2, 1], [3, 2], [10, 4], [100, 17], [512, 59], [1024, 100], [2048, 174], [4096, 303],
      [262143, 10000], [262144, 10000], [1_000_000, 10000],
    ];
    for (const [shares, weight] of table) assert.equal(sharesToWeight(shares), weight, `shares ${shares}`);
  });

  it('keeps the old linear formula for comparison: 1024 → 39', () => {
    assert.equal(sharesToWeightLinear(1024), 39);
    assert.equal(sharesToWeightLinear(2), 1);
    assert.equal(sharesToWeightLinear(262144), 10000);
    assert.equal(sharesToWeightLinear(0), 0);
  });

  it('maps blkio weight [10,1000] to io.weight [1,10000]', () => {
    for (const [w, v] of [[0, 0], [10, 1], [100, 910], [500, 4950], [1000, 10000]] as const) assert.equal(blkioWeightToIoWeight(w), v, `weight ${w}`);
  });

  it('converts OCI memory+swap to memory.swap.max', () => {
    assert.equal(swapToV2(300, 100), '200');
    assert.equal(swapToV2(100, 100), '0');
    assert.equal(swapToV2(-1, 100), 'max');
    assert.equal(swapToV2(undefined, -1), 'max');
    assert.equal(swapToV2(0, -1), 'max');
    assert.equal(swapToV2(undefined, 100), undefined);
    assert.equal(swapToV2(0, 100), undefined);
    assert.throws(() => swapToV2(50, 100), (e) => isBerthError(e, 'BERTH_EINVAL'));
    assert.throws(() => swapToV2(50, undefined), (e) => isBerthError(e, 'BERTH_EINVAL'));
    assert.throws(() => swapToV2(50, -1), (e) => isBerthError(e, 'BERTH_EINVAL'));
  });

  it('writes pids.max "max" for 0 and -1', () => {
    assert.equal(pidsMax(0), 'max');
    assert.equal(pidsMax(-1), 'max');
    assert.equal(pidsMax(12), '12');
  });

  it('formats device rules with * for any', () => {
    assert.equal(deviceRule({ allow: true }), 'a *:* rwm');
    assert.equal(deviceRule({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }), 'c 1:3 rw');
    assert.equal(deviceRule({ allow: false, type: 'b', major: 8, minor: -1, access: '' }), 'b 8:* rwm');
  });

  it('groups io.max by device', () => {
    assert.deepEqual(ioMaxLines({ throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 5 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 7 }] }), ['8:0 rbps=5 wiops=7']);
    assert.deepEqual(ioMaxLines({}), []);
  });

  it('parses the kernel stat formats', () => {
    assert.deepEqual(parseFlatKeyed('a 1\nb 2\n\nbad\nc x\n'), { a: 1, b: 2 });
    assert.equal(parseLimit('max'), undefined);
    assert.equal(parseLimit('9223372036854771712'), undefined);
    assert.equal(parseLimit('4096'), 4096);
    assert.equal(parseLimit(undefined), undefined);
    assert.deepEqual(parseBlkioV1('8:0 Read 1\n8:0 Write 2\nTotal 3\n'), [{ major: 8, minor: 0, op: 'Read', value: 1 }, { major: 8, minor: 0, op: 'Write', value: 2 }]);
    assert.deepEqual(parseIoStatV2('259:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6').ios.map((e) => e.value), [3, 4, 6]);
  });

  it('checks requests before anything is written', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ memory: { swappiness: 101 } }, /swappiness 101/],
      [{ memory: { limit: 200, swap: 100 } }, /below memory.limit/],
      [{ hugepageLimits: [{ pageSize: '2MB/../x', limit: 1 }] }, /pageSize/],
      [{ devices: [{ allow: true, type: 'x' }] }, /type "x"/],
      [{ devices: [{ allow: true, access: 'rwx' }] }, /access "rwx"/],
      [{ unified: { 'memory/../../x': '1' } }, /unified key/],
      [{ unified: { '..': '1' } }, /unified key/],
      [{ unified: { nodot: '1' } }, /unified key/],
      [{ network: { priorities: [{ name: 'a b', priority: 1 }] } }, /interface/],
    ];
    for (const [r, re] of bad) {
      assert.throws(() => checkResources(r as never), (e) => isBerthError(e, 'BERTH_EINVAL') && re.test(e.message), JSON.stringify(r));
    }
    checkResources({ memory: { limit: 100, swap: -1, swappiness: 0 }, hugepageLimits: [{ pageSize: '64KB', limit: 0 }], unified: { 'io.bfq.weight': '10' } });
  });
});
