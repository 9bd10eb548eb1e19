import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave, splitRule } from './cleanup.js';

const SAVE = `*nat
:POSTROUTING ACCEPT [0:0]
:CNI-04627fa73d665803114ee223 - [0:0]
-A POSTROUTING -s 10.213.77.50/32 -m comment --comment "name: \\"net\\" id: \\"c1\\"" -j CNI-04627fa73d665803114ee223
-A CNI-04627fa73d665803114ee223 ! -d 224.0.0.0/4 -m comment --comment "name: \\"net\\" id: \\"c1\\"" -j MASQUERADE
COMMIT
*filter
:CNI-FORWARD - [0:0]
-A CNI-FORWARD -d 10.213.77.50/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`;

test('iptables-save rules keep their comment and target', () => {
  const { rules, chains } = parseIptablesSave(SAVE);
  assert.equal(rules.length, 3);
  assert.equal(rules[0]!.table, 'nat');
  assert.equal(rules[0]!.chain, 'POSTROUTING');
  assert.equal(rules[0]!.comment, 'name: "net" id: "c1"');
  assert.equal(rules[0]!.target, 'CNI-04627fa73d665803114ee223');
  assert.deepEqual(rules[0]!.args.slice(0, 2), ['-s', '10.213.77.50/32']);
  assert.equal(rules[2]!.table, 'filter');
  assert.ok(chains.has('filter/CNI-FORWARD'));
  assert.deepEqual(splitRule('-m comment --comment "a \\"b\\" c" -j X'), ['-m', 'comment', '--comment', 'a "b" c', '-j', 'X']);
});
