// Integration tests: the real berth-monitor with runc as the runtime, on the busybox fixture.
// Needs root; skipped otherwise. Every test waits on files and sockets, never on fixed sleeps.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isBerthError } from '../../errors.js';
import { attachClient, resizeTerminal, type AttachSession } from './attach.js';
import { readExitFile } from './exit-file.js';
import { alive, makeSandbox, MONITOR_BINARY, removeCgroupParent, skipReason, vmRssKiB, waitUntil, type Sandbox } from './fixture.js';
import { readLogs, timeNanos, type LogEntry } from './logs.js';
import { spawnMonitor, type SpawnMonitorOptions } from './spawn.js';

const runFile = promisify(execFile);

async function withSandbox(args: string[], opts: { terminal?: boolean; noConfig?: boolean }, body: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await makeSandbox(args, opts);
  try {
    await body(sb);
  } finally {
    await sb.cleanup();
  }
}

async function launch(sb: Sandbox, extra: Partial<SpawnMonitorOptions> = {}): Promise<{ monitorPid: number; containerPid: number }> {
  const h = await spawnMonitor(sb.options(extra));
  sb.track(h.monitorPid);
  return h;
}

async function waitExit(sb: Sandbox): Promise<NonNullable<Awaited<ReturnType<typeof readExitFile>>>> {
  assert.ok(await waitUntil(() => existsSync(sb.exitFile)), 'exit file never appeared');
  const r = await readExitFile(sb.exitFile);
  assert.ok(r !== null);
  return r;
}

async function allLogs(path: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(path)) out.push(e);
  return out;
}

/** Reads attach output until `want` shows up (or the stream ends). */
async function readUntil(session: AttachSession, want: string): Promise<{ text: string; streams: Set<string> }> {
  let text = '';
  const streams = new Set<string>();
  for await (const f of session.output) {
    text += f.data.toString('utf8');
    streams.add(f.stream);
    if (text.includes(want)) break;
  }
  return { text, streams };
}

describe('berth-monitor with runc', { skip: skipReason() }, () => {
  after(() => {
    assert.deepEqual(removeCgroupParent(), [], 'cgroup directories left behind');
  });

  test('stdout and stderr become json-file entries with stream and time', async () => {
    await withSandbox(['sh', '-c', 'echo out-1; echo err-1 >&2; printf "tab\\tquote\\"\\001\\n"; printf "bad\\377\\n"; echo out-2'], {}, async (sb) => {
      const before = BigInt(Date.now() - 1000) * 1_000_000n;
      const h = await launch(sb);
      assert.ok(h.containerPid > 0 && h.monitorPid > 0);
      assert.equal(Number((await readFile(sb.pidFile, 'utf8')).trim()), h.containerPid);
      await sb.runc('start', sb.id);
      assert.equal((await waitExit(sb)).exitCode, 0);
      const entries = await allLogs(sb.logPath);
      const byText = (s: string): LogEntry | undefined => entries.find((e) => e.line === s);
      assert.equal(byText('out-1\n')?.stream, 'stdout');
      assert.equal(byText('err-1\n')?.stream, 'stderr');
      assert.equal(byText('tab\tquote"\u0001\n')?.stream, 'stdout');
      assert.equal(byText('out-2\n')?.stream, 'stdout');
      const raw = await readFile(sb.logPath, 'utf8');
      assert.match(raw, /\{"log":"tab\\tquote\\"\\u0001\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\}\n/);
      assert.ok(raw.includes('{"log":"bad\\ufffd\\n","stream":"stdout"'), 'invalid UTF-8 not replaced');
      const now = BigInt(Date.now() + 1000) * 1_000_000n;
      for (const e of entries) {
        const t = timeNanos(e.time);
        assert.ok(t !== null && t >= before && t <= now, `bad time ${e.time}`);
      }
    });
  });

  test('exit 7 is recorded, then the exit command runs', async () => {
    await withSandbox(['sh', '-c', 'exit 7'], {}, async (sb) => {
      const marker = join(sb.dir, 'marker');
      // The command copies the exit file: a copy equal to it proves the file was complete first.
      await launch(sb, { exitCommand: { path: '/bin/sh', args: ['-c', `cp ${sb.exitFile} ${marker}.tmp && mv ${marker}.tmp ${marker}`] } });
      await sb.runc('start', sb.id);
      const r = await waitExit(sb);
      assert.equal(r.exitCode, 7);
      assert.equal(r.signal, null);
      assert.equal(r.oomKilled, false);
      assert.ok(!Number.isNaN(Date.parse(r.finishedAt)));
      assert.ok(await waitUntil(() => existsSync(marker)), 'exit command did not run');
      assert.equal(await readFile(marker, 'utf8'), await readFile(sb.exitFile, 'utf8'));
      assert.ok(!existsSync(sb.attachSocket), 'attach socket not removed at exit');
    });
  });

  test('rotation keeps at most N files holding the newest output', async () => {
    const script = 'i=0; while [ $i -lt 300 ]; do echo "line-$i-abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done';
    await withSandbox(['sh', '-c', script], {}, async (sb) => {
      await launch(sb, { logMaxSize: 1024, logMaxFiles: 3 });
      await sb.runc('start', sb.id);
      await waitExit(sb);
      const files = readdirSync(sb.dir).filter((f) => f.startsWith('ctr.log')).sort();
      assert.deepEqual(files, ['ctr.log', 'ctr.log.1', 'ctr.log.2']);
      for (const f of files) assert.ok(statSync(join(sb.dir, f)).size <= 1024, `${f} exceeds the max size`);
      const lines = (await allLogs(sb.logPath)).map((e) => e.line);
      assert.equal(lines.at(-1), 'line-299-abcdefghijklmnopqrstuvwxyz\n');
      const first = Number(/^line-(\d+)-/.exec(lines[0] ?? '')?.[1]);
      assert.deepEqual(lines, Array.from({ length: 300 - first }, (_, k) => `line-${first + k}-abcdefghijklmnopqrstuvwxyz\n`));
    });
  });

  test('the monitor outlives its caller, stays small, and records SIGKILL as 137', async (t) => {
    await withSandbox(['sleep', '1000'], {}, async (sb) => {
      const spawnJs = new URL('./spawn.js', import.meta.url).href;
      const code = `const m = await import(${JSON.stringify(spawnJs)}); const r = await m.spawnMonitor(JSON.parse(process.argv[1])); process.stdout.write(JSON.stringify(r));`;
      const { stdout } = await runFile(process.execPath, ['--input-type=module', '-e', code, JSON.stringify(sb.options())]);
      const h = JSON.parse(stdout) as { monitorPid: number; containerPid: number };
      sb.track(h.monitorPid);
      // The node process that spawned it has exited by now (execFile resolved).
      assert.ok(alive(h.monitorPid), 'monitor died with its caller');
      await sb.runc('start', sb.id);
      const state = JSON.parse(await sb.runc('state', sb.id)) as { status: string; pid: number };
      assert.equal(state.status, 'running');
      assert.equal(state.pid, h.containerPid);
      const ppid = /^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${h.containerPid}/status`, 'utf8'))?.[1];
      assert.equal(Number(ppid), h.monitorPid, 'container init is not the monitor child');
      const rss = vmRssKiB(h.monitorPid);
      assert.ok(rss < 1024, `monitor RSS ${rss} kB is not under 1 MiB`);
      t.diagnostic(`monitor VmRSS ${rss} kB`);
      await sb.runc('kill', sb.id, 'KILL');
      const r = await waitExit(sb);
      assert.equal(r.exitCode, 137);
      assert.equal(r.signal, 9);
      assert.ok(await waitUntil(() => !alive(h.monitorPid)), 'monitor did not exit after the container');
    });
  });

  test('attach: live framed output, and input reaches the container stdin', async () => {
    await withSandbox(['sh', '-c', 'echo ready; echo warn >&2; read line; echo "got $line"'], {}, async (sb) => {
      await launch(sb, { stdin: true });
      const session = await attachClient(sb.attachSocket);
      try {
        await sb.runc('start', sb.id);
        const first = await readUntil(session, 'warn');
        assert.ok(first.text.includes('ready\n'));
        assert.deepEqual([...first.streams].sort(), ['stderr', 'stdout']);
        await session.write('hello\n');
        const second = await readUntil(session, 'got hello');
        assert.match(second.text, /got hello\n/);
      } finally {
        session.close();
      }
      assert.equal((await waitExit(sb)).exitCode, 0);
      assert.ok((await allLogs(sb.logPath)).some((e) => e.line === 'got hello\n'));
    });
  });

  test('a client that does not read is dropped; the container is not blocked', async () => {
    await withSandbox(['sh', '-c', 'dd if=/dev/zero bs=1024 count=4096 2>/dev/null | base64; echo done'], {}, async (sb) => {
      await launch(sb);
      const stuck = createConnection(sb.attachSocket);
      await new Promise((r) => stuck.once('connect', r));
      stuck.pause();
      let closedByMonitor = false;
      stuck.on('end', () => {
        closedByMonitor = true;
      });
      try {
        await sb.runc('start', sb.id);
        assert.equal((await waitExit(sb)).exitCode, 0);
        const entries = await allLogs(sb.logPath);
        assert.equal(entries.at(-1)?.line, 'done\n');
        // 4 MiB as base64 in 76-column lines, plus "done"
        assert.equal(entries.length, Math.ceil(Math.ceil((4 * 1024 * 1024) / 3) * 4 / 76) + 1);
        stuck.resume();
        assert.ok(await waitUntil(() => closedByMonitor || stuck.destroyed), 'stuck client was never disconnected');
      } finally {
        stuck.destroy();
      }
    });
  });

  test('terminal: output comes through the pty, resize applies', async () => {
    await withSandbox(['sh', '-c', 'read go; stty size; echo "pty-ok"'], { terminal: true }, async (sb) => {
      await launch(sb, { stdin: true });
      const session = await attachClient(sb.attachSocket, { tty: true });
      try {
        await resizeTerminal(sb.attachSocket, 40, 100);
        await sb.runc('start', sb.id);
        await session.write('go\r');
        const out = await readUntil(session, 'pty-ok');
        assert.match(out.text, /40 100\r?\n/);
      } finally {
        session.close();
      }
      assert.equal((await waitExit(sb)).exitCode, 0);
      const logged = (await allLogs(sb.logPath)).map((e) => e.line).join('');
      assert.match(logged, /pty-ok\r\n/); // onlcr: the pty turned \n into \r\n
    });
  });

  test('health command runs on its interval while the container runs', async () => {
    await withSandbox(['sleep', '1000'], {}, async (sb) => {
      const ticks = join(sb.dir, 'ticks');
      await launch(sb, { health: { intervalMs: 50, path: '/bin/sh', args: ['-c', `echo x >> ${ticks}`] } });
      await sb.runc('start', sb.id);
      assert.ok(await waitUntil(async () => existsSync(ticks) && (await readFile(ticks, 'utf8')).split('\n').length > 3));
      await sb.runc('kill', sb.id, 'KILL');
      await waitExit(sb);
    });
  });

  test('a failing create is reported as BERTH_ELAUNCH with the runtime error', async () => {
    await withSandbox([], { noConfig: true }, async (sb) => {
      await assert.rejects(launch(sb), (e) => {
        assert.ok(isBerthError(e, 'BERTH_ELAUNCH'), String(e));
        assert.match(e.message, /runtime create exited with status 1: .*config\.json/);
        return true;
      });
      assert.ok(!existsSync(sb.attachSocket));
    });
  });

  test('bad arguments fail fast with exit status 2 and a message', async () => {
    await assert.rejects(runFile(MONITOR_BINARY, ['--id', 'x', '--runtime', 'runc']), (e: Error & { code?: number; stderr?: string }) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr ?? '', /berth-monitor: --bundle is required/);
      return true;
    });
    await assert.rejects(runFile(MONITOR_BINARY, ['--log-max-files', '0']), /invalid value '0'/);
  });
});
