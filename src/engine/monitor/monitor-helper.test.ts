// Integration tests of berth-monitor's helper mode (monitor.h, HELPER MODE): the monitor spawns
// berth-nsexec and this process creates the container with berth-runtime's createContainer over
// the helper's socket, as the engine does. Needs root; skipped otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isBerthError } from '../../errors.js';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { containerState } from '../../runtime/lifecycle/query.js';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { locateHelper } from '../../sys/locate-helper.js';
import { silentLogger } from '../../runtime/logger.js';
import type { RuntimeContext } from '../../runtime/lifecycle/context.js';
import { attachClient, resizeTerminal } from './attach.js';
import { readExitFile } from './exit-file.js';
import { alive, makeSandbox, MONITOR_BINARY, removeCgroupParent, skipReason, vmRssKiB, waitUntil, type Sandbox } from './fixture.js';
import { readLogs, type LogEntry } from './logs.js';
import { spawnMonitorWithHelper, type SpawnMonitorOptions } from './spawn.js';

const runFile = promisify(execFile);

interface HelperSandbox {
  sb: Sandbox;
  ctx: RuntimeContext;
}

async function withSandbox(args: string[], opts: { terminal?: boolean }, body: (h: HelperSandbox) => Promise<void>): Promise<void> {
  const sb = await makeSandbox(args, opts);
  const ctx: RuntimeContext = { root: sb.state, logger: silentLogger };
  try {
    await body({ sb, ctx });
  } finally {
    try {
      deleteContainer(ctx, sb.id, true);
    } catch {
      // never created, or deleted by the test
    }
    await sb.cleanup();
  }
}

function monitorOptions(sb: Sandbox, extra: Partial<SpawnMonitorOptions> = {}): SpawnMonitorOptions & { execHelper: string } {
  return { ...sb.options(extra), runtime: 'berth-runtime', execHelper: locateHelper(), ...extra };
}

/** What the engine does: monitor in helper mode, createContainer in-process, then hand over the pid. */
async function launch(h: HelperSandbox, extra: Partial<SpawnMonitorOptions> = {}): Promise<{ monitorPid: number; containerPid: number }> {
  const mon = spawnMonitorWithHelper(monitorOptions(h.sb, extra));
  let pid: number;
  try {
    const consoleSocket = h.sb.options().terminal === true ? `${h.sb.attachSocket}.console` : undefined;
    pid = (await createContainer(h.ctx, h.sb.id, { bundle: h.sb.bundle, pidFile: h.sb.pidFile, ...(consoleSocket ? { consoleSocket } : {}), helper: { socket: mon.helper } })).pid;
  } catch (e) {
    const why = await mon.abort();
    throw Object.assign(e as Error, { monitorSays: why });
  }
  const handle = await mon.adopt(pid);
  h.sb.track(handle.monitorPid);
  return handle;
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

const ppidOf = (pid: number): number => Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

describe('berth-monitor in helper mode, with createContainer in-process', { skip: skipReason() }, () => {
  after(() => {
    assert.deepEqual(removeCgroupParent(), [], 'cgroup directories left behind');
  });

  test('the container is born below the monitor; log, exit file and exit command as in create mode', async (t) => {
    await withSandbox(['sh', '-c', 'echo out; echo err >&2; exit 3'], {}, async (h) => {
      const marker = join(h.sb.dir, 'marker');
      const handle = await launch(h, { exitCommand: { path: '/bin/sh', args: ['-c', `touch ${marker}`] } });
      assert.equal(ppidOf(handle.containerPid), handle.monitorPid, 'the container init is the monitor\'s child');
      assert.equal(readFileSync(h.sb.pidFile, 'utf8'), String(handle.containerPid));
      assert.deepEqual([containerState(h.ctx, h.sb.id)['status'], containerState(h.ctx, h.sb.id)['pid']], ['created', handle.containerPid]);
      const rss = vmRssKiB(handle.monitorPid);
      assert.ok(rss < 1024, `monitor RSS ${rss} kB is not under 1 MiB`);
      t.diagnostic(`monitor VmRSS ${rss} kB`);
      startContainer(h.ctx, h.sb.id);
      assert.equal((await waitExit(h.sb)).exitCode, 3);
      assert.ok(await waitUntil(() => existsSync(marker)), 'exit command did not run');
      const entries = (await allLogs(h.sb.logPath)).map((e) => [e.stream, e.line]);
      assert.deepEqual(entries.sort(), [['stderr', 'err\n'], ['stdout', 'out\n']]);
      assert.ok(await waitUntil(() => !alive(handle.monitorPid)), 'monitor did not exit after the container');
    });
  });

  test('a terminal arrives on ATTACH.console; resize and input work', async () => {
    await withSandbox(['sh', '-c', 'read go; stty size; echo "pty-ok"'], { terminal: true }, async (h) => {
      await launch(h, { stdin: true });
      const session = await attachClient(h.sb.attachSocket, { tty: true });
      try {
        await resizeTerminal(h.sb.attachSocket, 40, 100);
        startContainer(h.ctx, h.sb.id);
        await session.write('go\r');
        let text = '';
        for await (const f of session.output) {
          text += f.data.toString('utf8');
          if (text.includes('pty-ok')) break;
        }
        assert.match(text, /40 100\r?\n/);
      } finally {
        session.close();
      }
      assert.equal((await waitExit(h.sb)).exitCode, 0);
    });
  });

  test('a creation that fails is abandoned: the monitor exits and leaves no socket', async () => {
    await withSandbox(['no-such-program'], {}, async (h) => {
      await assert.rejects(launch(h), (e: Error & { monitorSays?: string }) => {
        assert.ok(isBerthError(e, 'BERTH_ELAUNCH'), String(e));
        assert.match(e.message, /executable file not found/);
        assert.equal((e as { monitorSays?: string }).monitorSays, undefined, 'the monitor knows nothing better');
        return true;
      });
      assert.ok(await waitUntil(() => !existsSync(h.sb.attachSocket)), 'attach socket left behind');
      assert.ok(!existsSync(h.sb.exitFile), 'no exit file for a container that never was');
    });
  });

  test('a helper that cannot be run is the monitor\'s error', async () => {
    await withSandbox(['true'], {}, async (h) => {
      await assert.rejects(launch(h, { execHelper: '/nonexistent/berth-nsexec' }), (e: Error & { monitorSays?: string }) => {
        assert.match(e.message, /berth-nsexec exited before the container was ready/);
        assert.match(e.monitorSays ?? '', /^helper exited with status 127: berth-monitor: exec \/nonexistent\/berth-nsexec: /);
        return true;
      });
    });
  });

  test('an abort after the container exists kills it (a caller that died would leave it waiting forever)', async () => {
    await withSandbox(['true'], {}, async (h) => {
      const mon = spawnMonitorWithHelper(monitorOptions(h.sb));
      const { pid } = await createContainer(h.ctx, h.sb.id, { bundle: h.sb.bundle, helper: { socket: mon.helper } });
      assert.ok(alive(pid));
      assert.equal(await mon.abort(), undefined);
      assert.ok(await waitUntil(() => !alive(pid)), 'the half-made container is still there');
    });
  });

  test('helper-mode arguments are checked', async () => {
    const base = ['--id', 'x', '--bundle', '/b', '--runtime', 'berth-runtime', '--log-path', '/l', '--attach-socket', '/a', '--exit-file', '/e'];
    const cases: [string[], RegExp][] = [
      [[...base, '--exec-helper', '/h'], /--exec-helper and --helper-fd go together/],
      [[...base, '--exec-helper', '/h', '--helper-fd', '4'], /--exec-helper needs --sync-fd/],
      [[...base, '--exec-helper', '/h', '--helper-fd', '2', '--sync-fd', '3'], /--helper-fd: invalid value '2'/],
      [base, /--pid-file is required/],
    ];
    for (const [args, why] of cases) {
      await assert.rejects(runFile(MONITOR_BINARY, args), (e: Error & { code?: number; stderr?: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr ?? '', why);
        return true;
      });
    }
  });
});
