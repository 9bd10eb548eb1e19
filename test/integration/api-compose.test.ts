// docker-compose 1.29 (Debian's, on docker-py) against `berth system service` over the real
// engine (as root): a two-service project with a named volume, a user network (bridge berthapi64,
// 10.217.64.0/24, no DNS forwarding), a healthcheck and depends_on; up -d, ps, logs, down -v.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, haveDocker, waitUntil } from './api-helpers.js';
import { skipEngineApi, startEngineService, type EngineService } from './api-engine-helpers.js';

const COMPOSE = '/usr/bin/docker-compose';
const skip = !existsSync(COMPOSE) ? 'no docker-compose' : !haveDocker ? 'no docker CLI' : skipEngineApi;

const PROJECT = `version: "3.7"
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && echo hello-from-web > /www/index.html && echo web-started && exec httpd -f -p 80 -h /www'
    volumes:
      - data:/data
    networks: [back]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1/"]
      interval: 1s
      timeout: 2s
      retries: 3
  client:
    image: busybox
    command: sh -c 'until wget -qO- http://web/; do sleep 0.2; done; echo client-ok > /data/ok; exec sleep 120'
    volumes:
      - data:/data
    networks: [back]
    depends_on: [web]
volumes:
  data: {}
networks:
  back:
    driver_opts:
      com.docker.network.bridge.name: berthapi64
      dns.upstreams: ""
    ipam:
      config:
        - subnet: 10.217.64.0/24
`;

describe('docker-compose 1.29 against berth system service (engine backend)', { skip, concurrency: false, timeout: 300_000 }, () => {
  let s: EngineService;
  let dir: string;
  const compose = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(COMPOSE, ['--no-ansi', '-p', 'apiproj', ...args], { cwd: dir, env: { ...s.env, COMPOSE_INTERACTIVE_NO_CLI: '1' }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr });
    });
  });

  before(async () => {
    s = await startEngineService('compose', { bridges: ['berthapi63', 'berthapi64'], subnet: '10.217.63.0/24' });
    dir = join(s.base, 'project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'docker-compose.yml'), PROJECT);
  });
  after(async () => {
    await s?.stop();
  });

  it('up -d creates the network, the volume and both containers; the healthcheck turns healthy', async () => {
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, `${up.stderr}\n${s.log()}`);
    assert.match(up.stderr, /Creating network "apiproj_back"/);
    assert.match(up.stderr, /Creating volume "apiproj_data"/);
    await waitUntil(async () => /apiproj_web_1 .*Up \(healthy\)/.test((await compose(['ps'])).stdout), 30_000);
    const ps = (await compose(['ps'])).stdout;
    assert.match(ps, /apiproj_client_1 .* Up/);
    const ins = await docker(s.sock, ['inspect', '-f', '{{.State.Health.Status}} {{index .Config.Labels "com.docker.compose.service"}}', 'apiproj_web_1']);
    assert.equal(ins.stdout, 'healthy web\n');
  });

  it('the services reach each other by name on the user network and share the named volume', async () => {
    await waitUntil(async () => (await docker(s.sock, ['exec', 'apiproj_client_1', 'cat', '/data/ok'])).stdout === 'client-ok\n', 30_000);
    const ip = (await docker(s.sock, ['inspect', '-f', '{{.NetworkSettings.Networks.apiproj_back.IPAddress}}', 'apiproj_web_1'])).stdout.trim();
    assert.match(ip, /^10\.217\.64\.\d+$/);
    assert.equal((await docker(s.sock, ['exec', 'apiproj_web_1', 'cat', '/data/ok'])).stdout, 'client-ok\n');
  });

  it('logs shows each service\'s output', async () => {
    const logs = await compose(['logs']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /web_1 +\| web-started/);
    assert.match(logs.stdout, /client_1 +\| hello-from-web/);
  });

  it('down -v removes the containers, the network and the volume', async () => {
    const down = await compose(['down', '-v', '-t', '1']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await docker(s.sock, ['ps', '-aq'])).stdout, '');
    assert.doesNotMatch((await docker(s.sock, ['network', 'ls', '--format', '{{.Name}}'])).stdout, /apiproj/);
    assert.doesNotMatch((await docker(s.sock, ['volume', 'ls', '--format', '{{.Name}}'])).stdout, /apiproj/);
    assert.ok(!existsSync('/sys/class/net/berthapi64'));
  });
});
