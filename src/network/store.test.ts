// The network tables on a private database: constraints do the work of locks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDb } from '../storage/metadata/db.js';
import {
  attachmentsOfNetwork, claimPorts, deleteAttachment, deleteNetworkRow, getNetwork, insertAttachment, insertNetwork, listNetworks,
  networkDb, newNetworkId, publishedPorts, tx, validateNetworkName, type AttachmentInfo, type NetworkInfo,
} from './store.js';
import { isBerthError } from '../errors.js';

const root = mkdtempSync(join(tmpdir(), 'berth-netstore-'));
after(() => {
  closeDb(root);
  rmSync(root, { recursive: true, force: true });
});

const net = (name: string, bridge: string, subnet: string): NetworkInfo => ({
  id: newNetworkId(), name, driver: 'bridge', bridge, subnet, gateway: subnet.replace(/0\/24$/, '1'), internal: false, dns: true,
  labels: { a: 'b' }, options: {}, created: new Date().toISOString(),
});
const att = (containerId: string, network: string, ifName = 'eth0'): AttachmentInfo => ({
  containerId, network, ifName, containerName: `n-${containerId}`, aliases: ['x'], netns: `/run/x/${containerId}`,
  capabilityArgs: {}, state: 'attaching', created: new Date().toISOString(),
});

test('names, bridges and subnets are unique; ids resolve by prefix', () => {
  const db = networkDb(root);
  const a = net('alpha', 'berth1', '10.90.1.0/24');
  insertNetwork(db, a);
  assert.throws(() => insertNetwork(db, net('alpha', 'berth2', '10.90.2.0/24')), /network with name alpha already exists/);
  assert.throws(() => insertNetwork(db, net('beta', 'berth1', '10.90.2.0/24')), /bridge berth1 is already used/);
  assert.throws(() => insertNetwork(db, net('beta', 'berth2', '10.90.1.0/24')), /subnet 10.90.1.0\/24 is already used/);
  assert.equal(getNetwork(db, a.id.slice(0, 8))!.name, 'alpha');
  assert.deepEqual(getNetwork(db, 'alpha')!.labels, { a: 'b' });
  assert.equal(listNetworks(db).length, 1);
  for (const bad of ['', 'host', 'none', 'bridge', '-x', 'a/b', 'x'.repeat(65)]) assert.throws(() => validateNetworkName(bad), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'), bad);
});

test('a network in use cannot be deleted; ports are claimed once', () => {
  const db = networkDb(root);
  insertNetwork(db, net('gamma', 'berth3', '10.90.3.0/24'));
  tx(db, () => {
    insertAttachment(db, att('c1', 'gamma'));
    claimPorts(db, 'c1', 'gamma', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostIP: '127.0.0.1', hostPort: 9090, containerPort: 90, protocol: 'tcp' }]);
  });
  assert.throws(() => insertAttachment(db, att('c1', 'gamma', 'eth1')), /already connected/);
  assert.throws(() => tx(db, () => deleteNetworkRow(db, 'gamma')), /network gamma is in use by container n-c1/);
  insertAttachment(db, att('c2', 'gamma'));
  assert.throws(() => claimPorts(db, 'c2', 'gamma', [{ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]), /port 8080\/tcp is already in use/);
  assert.throws(() => claimPorts(db, 'c2', 'gamma', [{ hostPort: 9090, containerPort: 80, protocol: 'tcp' }]), /port 9090\/tcp is already in use/);
  claimPorts(db, 'c2', 'gamma', [{ hostPort: 8080, containerPort: 80, protocol: 'udp' }, { hostIP: '127.0.0.2', hostPort: 9090, containerPort: 80, protocol: 'tcp' }]);
  assert.equal(publishedPorts(db, 'c1').length, 2);
  // Ports go with their attachment.
  deleteAttachment(db, 'c1', 'gamma');
  assert.equal(publishedPorts(db, 'c1').length, 0);
  deleteAttachment(db, 'c2', 'gamma');
  assert.deepEqual(attachmentsOfNetwork(db, 'gamma'), []);
  tx(db, () => deleteNetworkRow(db, 'gamma'));
  assert.equal(getNetwork(db, 'gamma'), undefined);
});
