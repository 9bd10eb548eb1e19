import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseArgs } from '../../args.js';
import { checkNetworkRequest, endpointsOf, portMap } from '../../../engine/network.js';
import { applyDnsFlags } from '../../../engine/hosts-files.js';
import type { ContainerRecord } from '../../../engine/records.js';
import { RUN_FLAGS, toCreateRequest } from './run-flags.js';

const req = (...argv: string[]) => toCreateRequest(parseArgs([...argv, 'busybox', 'true'], RUN_FLAGS, { stopAtPositional: true }));

describe('run/create network flags', () => {
  it('the default is the bridge network; several --network flags, with the per-network flags on the first', () => {
    const d = req();
    assert.equal(d.network, 'default');
    assert.deepEqual(endpointsOf(d), [{ name: 'default' }]);
    const r = req('--network', 'front', '--network', 'back', '--network-alias', 'www', '--ip', '10.1.2.3', '--mac-address', '02:AA:bb:cc:dd:ee');
    assert.equal(r.network, 'front');
    assert.deepEqual(r.endpoints, [{ name: 'front', aliases: ['www'], ip: '10.1.2.3', mac: '02:aa:bb:cc:dd:ee' }, { name: 'back' }]);
    assert.deepEqual(req('--network', 'name=front,alias=a,alias=b,ip=10.0.0.9').endpoints, [{ name: 'front', aliases: ['a', 'b'], ip: '10.0.0.9' }]);
    assert.equal(req('--network', 'bridge').network, 'default');
    assert.equal(req('--net', 'container:web').network, 'container:web');
  });

  it('refuses what docker refuses', () => {
    assert.throws(() => req('--network', 'none', '--network', 'front'), /conflicting options/);
    assert.throws(() => req('--ip', '10.0.0'), /invalid --ip/);
    assert.throws(() => req('--mac-address', 'zz'), /invalid --mac-address/);
    assert.throws(() => req('--dns', 'resolver'), /invalid --dns/);
    assert.throws(() => req('--add-host', 'nohost'), /invalid --add-host/);
    assert.throws(() => req('-p', '[::1]:80:80'), /IPv6/);
    assert.throws(() => req('--expose', '0'), /invalid --expose/);
    assert.throws(() => req('--network-bandwidth', 'sideways=1mbit'), /network-bandwidth/);
    assert.throws(() => checkNetworkRequest(req('--network', 'container:web', '-h', 'x')), /conflicting options: hostname/);
    assert.throws(() => checkNetworkRequest(req('--network', 'container:web', '-p', '80')), /port publishing/);
    assert.throws(() => checkNetworkRequest(req('--network', 'container:web', '--dns', '10.0.0.1')), /dns/);
    assert.throws(() => checkNetworkRequest(req('--network-alias', 'x')), /user-defined networks/);
    assert.throws(() => checkNetworkRequest(req('--network', 'host', '--network-alias', 'x')), /user-defined networks/);
    assert.throws(() => checkNetworkRequest(req('--network', 'a', '--network', 'a')), /given twice/);
    checkNetworkRequest(req('--network', 'front', '--network-alias', 'x'));
  });

  it('-p, -P, --expose, --dns*, --add-host, --network-bandwidth are kept in the request', () => {
    const r = req('-p', '127.0.0.1:8080:80', '-p', '53/udp', '-P', '--expose', '81-82', '--dns', '10.0.0.1', '--dns-search', 'example.test', '--dns-option', 'ndots:1',
      '--add-host', 'db:10.0.0.5', '--network-bandwidth', 'ingress=8mbit');
    assert.deepEqual(r.publish, [
      { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 0, containerPort: 53, protocol: 'udp' },
    ]);
    assert.equal(r.publishAll, true);
    assert.deepEqual(r.expose, ['81/tcp', '82/tcp']);
    assert.deepEqual([r.dns, r.dnsSearch, r.dnsOptions, r.addHosts], [['10.0.0.1'], ['example.test'], ['ndots:1'], ['db:10.0.0.5']]);
    assert.equal(r.bandwidth?.ingressRate, 8_000_000);
  });

  it('docker\'s Ports map: exposed ports null, published ones with their bindings', () => {
    const rec = { config: { resolved: { exposedPorts: ['80/tcp', '81/tcp'] } } } as unknown as ContainerRecord;
    assert.deepEqual(portMap(rec, [{ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]), {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
      '81/tcp': null,
    });
  });

  it('--dns, --dns-search and --dns-option rewrite a resolv.conf', () => {
    const host = 'search lan\nnameserver 192.0.2.53\noptions edns0\n';
    assert.equal(applyDnsFlags(host, {}), host);
    assert.equal(applyDnsFlags(host, { dns: ['10.0.0.1'] }), 'search lan\noptions edns0\nnameserver 10.0.0.1\n');
    assert.equal(applyDnsFlags(host, { dnsSearch: ['a.test'], dnsOptions: ['ndots:2'] }), 'nameserver 192.0.2.53\nsearch a.test\noptions ndots:2\n');
  });
});
