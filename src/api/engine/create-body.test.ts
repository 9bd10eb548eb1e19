import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toCreateRequest } from './create-body.js';

describe('docker create body → CreateRequest', () => {
  it('the docker CLI\'s `run --rm -it -v vol:/data -p 8080:80 busybox sh`', () => {
    const r = toCreateRequest('web', {
      Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true, Env: ['A=b'], Labels: { x: 'y' }, Volumes: { '/anon': {} },
      HostConfig: { AutoRemove: true, Binds: ['vol:/data:ro', '/host:/h'], PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, NetworkMode: 'bridge' },
    });
    assert.equal(r.name, 'web');
    assert.deepEqual([r.image, r.cmd, r.tty, r.openStdin, r.autoRemove, r.env, r.labels], ['busybox', ['sh'], true, true, true, ['A=b'], { x: 'y' }]);
    assert.deepEqual(r.mounts.map((m) => [m.type, m.source, m.target, m.readOnly, m.anonymous === true]), [
      ['volume', 'vol', '/data', true, false], ['bind', '/host', '/h', false, false], ['volume', '', '/anon', false, true],
    ]);
    assert.deepEqual(r.publish, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.equal(r.network, 'default');
    assert.equal(r.entrypoint, undefined);
  });

  it('--entrypoint "" clears the entrypoint; null keeps the image\'s', () => {
    assert.deepEqual(toCreateRequest(undefined, { Image: 'i', Entrypoint: [''] }).entrypoint, []);
    assert.equal(toCreateRequest(undefined, { Image: 'i', Entrypoint: null }).entrypoint, undefined);
  });

  it('compose\'s user network with aliases comes first; aliases on the default network are dropped', () => {
    const r = toCreateRequest('p_web_1', {
      Image: 'i', HostConfig: { NetworkMode: 'p_back' },
      NetworkingConfig: { EndpointsConfig: { other: {}, p_back: { Aliases: ['web', 'abc'], IPAMConfig: { IPv4Address: '10.0.0.5' } } } },
    });
    assert.equal(r.network, 'p_back');
    assert.deepEqual(r.endpoints, [{ name: 'p_back', aliases: ['web', 'abc'], ip: '10.0.0.5' }, { name: 'other' }]);
    const d = toCreateRequest(undefined, { Image: 'i', HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } } });
    assert.deepEqual(d.endpoints, [{ name: 'default' }]);
  });

  it('resources, restart, healthcheck, security options and log options', () => {
    const r = toCreateRequest(undefined, {
      Image: 'i', StopSignal: 'SIGINT', StopTimeout: 3,
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 2 },
      HostConfig: {
        Memory: 64 << 20, NanoCpus: 5e8, PidsLimit: 50, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 }, Init: true,
        SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined', 'label=disable'], CapAdd: ['NET_ADMIN'],
        Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
        Tmpfs: { '/run': 'size=1m' }, ExtraHosts: ['db:10.0.0.9'],
      },
    });
    assert.deepEqual([r.resources.memory, r.resources.nanoCpus, r.resources.pidsLimit], [64 << 20, 5e8, 50]);
    assert.deepEqual(r.restart, { name: 'on-failure', maximumRetryCount: 2 });
    assert.deepEqual(r.healthcheck, { test: ['CMD', 'true'], interval: 1e9, retries: 2 });
    assert.deepEqual([r.noNewPrivileges, r.seccomp, r.init, r.capAdd], [true, 'unconfined', true, ['NET_ADMIN']]);
    assert.deepEqual(r.ulimits, [{ name: 'nofile', soft: 10, hard: 20 }]);
    assert.deepEqual([r.logMaxSize, r.logMaxFile, r.stopSignal, r.stopTimeout], [1 << 20, 2, 'SIGINT', 3]);
    assert.deepEqual(r.mounts.map((m) => [m.type, m.target, m.options]), [['tmpfs', '/run', [`size=${1 << 20}`]]]);
    assert.deepEqual(r.addHosts, ['db:10.0.0.9']);
  });

  it('refuses what berth cannot do, with docker-like messages', () => {
    assert.throws(() => toCreateRequest(undefined, {}), /no image given/);
    assert.throws(() => toCreateRequest(undefined, { Image: 'i', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }), /--restart and --rm/);
    assert.throws(() => toCreateRequest(undefined, { Image: 'i', HostConfig: { LogConfig: { Type: 'syslog' } } }), /logging driver "syslog"/);
    assert.throws(() => toCreateRequest(undefined, { Image: 'i', HostConfig: { Binds: ['rel/path:/x'] } }), /invalid/);
  });
});
