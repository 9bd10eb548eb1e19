// The berth CLI's attach, top and stats verbs against real containers (as root), checked against
// docker's behaviour: attach relays stdin and live output and exits with the container's status,
// --no-stdin and --sig-proxy; top prints ps's table for the container's processes only; stats
// --no-stream prints docker's columns, --format json, the memory limit and the pid count.
// Containers run with --network none.
import { strict as assert } from 'node:assert';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BerthCli, rootPrivileged, until, type Result } from '../helpers/engine-cli.js';

/** dispose() keeps a base dir with a mount in it: the shared mount of --network none's namespaces goes first. */
function disposeAll(cli: BerthCli): void {
  cli.dispose();
  const nsDir = join(cli.runRoot, 'netns');
  while (spawnSync('mountpoint', ['-q', nsDir]).status === 0) spawnSync('umount', ['--lazy', nsDir]);
  rmSync(cli.base, { recursive: true, force: true });
}

interface Attached {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  /** Resolves with the exit status (or the signal) once the attach process ends. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the attach process (by its pid) if it is still running. */
  stop: () => void;
}

/** Starts `berth attach ARGS` in the background, collecting its output. */
function startAttach(cli: BerthCli, args: string[]): Attached {
  const child = cli.spawn(['attach', ...args]);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.on('error', () => undefined); // writing after it exited
  let ended = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    stop: () => {
      if (!ended && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
  };
}

/** Runs berth in a session of its own, with no controlling terminal (as a daemon would run ps). */
function runNoTty(cli: BerthCli, a: string[]): Result {
  const r = spawnSync('setsid', ['-w', process.execPath, ...cli.args(a)], { encoding: 'utf8', env: cli.env, input: '', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A table as printed by berth (columns two or more spaces apart): header and rows. */
function parseTable(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const split = (l: string): string[] => l.trim().split(/\s{2,}/);
  return { header: split(lines[0] ?? ''), rows: lines.slice(1).map(split) };
}

/** "64MiB", "64.00MiB", "412KiB", "0B" → bytes. */
function binaryBytes(s: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB|TiB)$/.exec(s.trim());
  assert.ok(m, `not a binary size: ${s}`);
  const pow = ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2]!);
  return Number(m[1]) * 1024 ** pow;
}

function oneLineError(r: Result, re: RegExp): void {
  assert.equal(r.status, 125, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
}

const STATS_COLUMNS = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];
const STATS_KEYS = ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs'];

const skip = !rootPrivileged() && 'needs root';

describe('berth attach, top, stats', { skip, concurrency: false }, () => {
  const cli = new BerthCli('berth-engine-ats-');
  const rm = (...names: string[]): void => void cli.run(['rm', '-f', ...names]);

  before(() => {
    cli.ok(['run', '--network', 'none', '--rm', 'busybox', 'true']); // imports the image once
  });
  after(() => disposeAll(cli));

  // --- attach ---------------------------------------------------------------------------------

  it('attach: stdin reaches the container, its output comes back, and attach exits with its status', async () => {
    cli.ok(['run', '--network', 'none', '-d', '-i', '--name', 'at-read', 'busybox', 'sh', '-c', 'read line; echo got:$line; exit 3']);
    const a = startAttach(cli, ['at-read']);
    try {
      a.child.stdin.write('hello\n');
      const { code } = await a.exit;
      assert.equal(code, 3, a.err());
      assert.equal(a.out(), 'got:hello\n');
      assert.equal(a.err(), '');
      const s = cli.inspect('at-read').State;
      assert.equal(s.Running, false);
      assert.equal(s.ExitCode, 3);
    } finally {
      a.stop();
      rm('at-read');
    }
  });

  it('attach: sees new output of a running container (live only, as docker attach), --sig-proxy=false leaves it running, kill ends attach with 137', async () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'at-tick', 'busybox', 'sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
    const attaches: Attached[] = [];
    try {
      await until(() => cli.run(['logs', 'at-tick']).stdout.includes('tick 1\n'), 20_000, 100);
      const a = startAttach(cli, ['--sig-proxy=false', 'at-tick']);
      attaches.push(a);
      await until(() => (a.out().match(/^tick \d+$/gm) ?? []).length >= 2, 20_000, 50);
      // Output from before the attach is not replayed (docker's attach asks for no logs either).
      assert.doesNotMatch(a.out(), /^tick 0$/m);
      assert.match(a.out(), /^(tick \d+\n)+/);
      // Without sig-proxy, a signal to attach ends attach only.
      process.kill(a.child.pid!, 'SIGTERM');
      const ended = await a.exit;
      assert.ok(ended.code !== 0 || ended.signal !== null, 'attach ended by SIGTERM');
      assert.equal(cli.inspect('at-tick').State.Running, true);
      const n = (cli.run(['logs', 'at-tick']).stdout.match(/^tick \d+$/gm) ?? []).length;
      await until(() => (cli.run(['logs', 'at-tick']).stdout.match(/^tick \d+$/gm) ?? []).length > n, 20_000, 100);

      // A second attach ends with the container's status when it is killed.
      const b = startAttach(cli, ['at-tick']);
      attaches.push(b);
      await until(() => /tick \d+\n/.test(b.out()), 20_000, 50);
      cli.ok(['kill', 'at-tick']);
      const { code } = await b.exit;
      assert.equal(code, 137, b.err());
      assert.equal(cli.inspect('at-tick').State.ExitCode, 137);
    } finally {
      for (const a of attaches) a.stop();
      rm('at-tick');
    }
  });

  it('attach: sig-proxy (the default) forwards SIGTERM to the container', async () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'at-sig', 'busybox', 'sh', '-c', 'trap "echo caught; exit 7" TERM; while :; do echo tick; sleep 0.2; done']);
    const a = startAttach(cli, ['at-sig']);
    try {
      // Output seen means the relay (and its signal handlers) is in place.
      await until(() => a.out().includes('tick\n'), 20_000, 50);
      process.kill(a.child.pid!, 'SIGTERM');
      const { code, signal } = await a.exit;
      assert.equal(signal, null);
      assert.equal(code, 7, a.err());
      assert.match(a.out(), /^caught$/m);
      assert.equal(cli.inspect('at-sig').State.ExitCode, 7);
    } finally {
      a.stop();
      rm('at-sig');
    }
  });

  it('attach --no-stdin: output is relayed but input is not; another attach can still write', async () => {
    cli.ok(['run', '--network', 'none', '-d', '-i', '--name', 'at-nostdin', 'busybox', 'sh', '-c',
      'while :; do echo ready; sleep 0.2; done & read line; echo got:$line; kill $!; exit 4']);
    const quiet = startAttach(cli, ['--no-stdin', 'at-nostdin']);
    let writer: Attached | undefined;
    try {
      await until(() => quiet.out().includes('ready\n'), 20_000, 50);
      quiet.child.stdin.write('ignored\n'); // kept open: EOF is not what is tested here
      writer = startAttach(cli, ['at-nostdin']);
      writer.child.stdin.end('second\n');
      const w = await writer.exit;
      assert.equal(w.code, 4, writer.err());
      assert.match(writer.out(), /^got:second$/m);
      const q = await quiet.exit;
      assert.equal(q.code, 4, quiet.err());
      assert.match(quiet.out(), /^got:second$/m);
      assert.doesNotMatch(quiet.out() + writer.out(), /ignored/);
      assert.equal(cli.inspect('at-nostdin').State.ExitCode, 4);
    } finally {
      quiet.stop();
      writer?.stop();
      rm('at-nostdin');
    }
  });

  it('attach to a stopped or unknown container fails with 125 and one line', () => {
    cli.ok(['run', '--network', 'none', '--name', 'at-done', 'busybox', 'true']);
    try {
      oneLineError(cli.run(['attach', 'at-done']), /stopped|not running/);
      oneLineError(cli.run(['attach', 'at-nosuch']), /no such container: at-nosuch/);
      assert.equal(cli.run(['attach']).status, 125);
    } finally {
      rm('at-done');
    }
  });

  // --- top ------------------------------------------------------------------------------------

  it('top: docker\'s header and exactly the container\'s processes', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'tp', 'busybox', 'sh', '-c', 'sleep 300 & sleep 301 & wait']);
    try {
      const r = cli.run(['top', 'tp']);
      assert.equal(r.status, 0, r.stderr);
      const t = parseTable(r.stdout);
      assert.deepEqual(t.header, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
      assert.equal(t.rows.length, 3, r.stdout);
      for (const row of t.rows) assert.equal(row.length, 8, row.join('|'));
      const cmds = t.rows.map((row) => row[7]).sort();
      assert.deepEqual(cmds, ['sh -c sleep 300 & sleep 301 & wait', 'sleep 300', 'sleep 301']);
      const init = cli.inspect('tp').State.Pid as number;
      const sh = t.rows.find((row) => row[7]!.startsWith('sh '))!;
      assert.equal(Number(sh[1]), init);
      for (const row of t.rows.filter((x) => x[7]!.startsWith('sleep'))) assert.equal(Number(row[2]), init);
      for (const row of t.rows) assert.equal(row[0], 'root');
      assert.ok(!t.rows.some((row) => Number(row[1]) === process.pid));
    } finally {
      rm('tp');
    }
  });

  it('top CONTAINER ps-options: -o pid,comm and aux', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'tpo', 'busybox', 'sleep', '300']);
    try {
      const init = cli.inspect('tpo').State.Pid as number;
      // ps options without their own selection: run berth without a terminal, as docker's daemon runs.
      const o = runNoTty(cli, ['top', 'tpo', '-o', 'pid,comm']);
      assert.equal(o.status, 0, o.stderr);
      assert.deepEqual(parseTable(o.stdout), { header: ['PID', 'COMMAND'], rows: [[String(init), 'sleep']] });
      const aux = cli.run(['top', 'tpo', 'aux']);
      assert.equal(aux.status, 0, aux.stderr);
      const t = parseTable(aux.stdout);
      assert.deepEqual(t.header, ['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
      assert.equal(t.rows.length, 1, aux.stdout);
      assert.equal(t.rows[0]![1], String(init));
      assert.equal(t.rows[0]![10], 'sleep 300');
      // ps output without a PID column cannot be filtered: an error, as docker's.
      oneLineError(cli.run(['top', 'tpo', '-o', 'comm']), /PID/);
    } finally {
      rm('tpo');
    }
  });

  it('top CONTAINER -o pid,user,comm lists processes of other users and with a terminal (docker adds -q PIDS)', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'tpu', '-u', '65534', 'busybox', 'sleep', '300']);
    try {
      const init = cli.inspect('tpu').State.Pid as number;
      const o = runNoTty(cli, ['top', 'tpu', '-o', 'pid,user,comm']);
      assert.equal(o.status, 0, o.stderr);
      assert.deepEqual(parseTable(o.stdout).rows, [[String(init), 'nobody', 'sleep']]);
      if (existsSync('/usr/bin/script')) {
        // The same for root's processes when berth runs in a terminal (as a user at a shell does).
        const cmd = [process.execPath, ...cli.args(['top', 'tpu', '-o', 'pid,comm'])].map((x) => `'${x}'`).join(' ');
        const r = spawnSync('script', ['-qec', `${cmd} </dev/null`, '/dev/null'], { encoding: 'utf8', env: cli.env, input: '', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^\\s*${init}\\s+sleep\\s*$`, 'm'));
      }
    } finally {
      rm('tpu');
    }
  });

  it('top on a stopped or unknown container fails with 125 and one line', () => {
    cli.ok(['run', '--network', 'none', '--name', 'tp-done', 'busybox', 'true']);
    try {
      oneLineError(cli.run(['top', 'tp-done']), /not running/);
      oneLineError(cli.run(['top', 'tp-nosuch']), /no such container: tp-nosuch/);
    } finally {
      rm('tp-done');
    }
  });

  // --- stats ----------------------------------------------------------------------------------

  it('stats --no-stream: docker\'s columns, one row per running container, -a adds stopped ones', () => {
    const a = cli.ok(['run', '--network', 'none', '-d', '--name', 'st-a', 'busybox', 'sleep', '300']);
    const b = cli.ok(['run', '--network', 'none', '-d', '--name', 'st-b', 'busybox', 'sleep', '300']);
    cli.ok(['run', '--network', 'none', '--name', 'st-off', 'busybox', 'true']);
    const c = cli.inspect('st-off').Id as string;
    try {
      const r = cli.run(['stats', '--no-stream']);
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /\x1b/); // no screen clearing with --no-stream
      const t = parseTable(r.stdout);
      assert.deepEqual(t.header, STATS_COLUMNS);
      assert.deepEqual(t.rows.map((row) => `${row[0]} ${row[1]}`).sort(), [`${a.slice(0, 12)} st-a`, `${b.slice(0, 12)} st-b`].sort());
      for (const row of t.rows) {
        assert.equal(row.length, 8, row.join('|'));
        assert.match(row[2]!, /^\d+\.\d\d%$/);
        assert.match(row[3]!, /^[\d.]+(B|KiB|MiB|GiB) \/ [\d.]+(B|KiB|MiB|GiB)$/);
        assert.ok(binaryBytes(row[3]!.split(' / ')[0]!) > 0, row[3]);
        assert.match(row[4]!, /^\d+\.\d\d%$/);
        assert.equal(row[5], '0B / 0B'); // --network none: no interfaces but lo
        assert.match(row[6]!, /^[\d.]+(B|kB|MB|GB) \/ [\d.]+(B|kB|MB|GB)$/);
        assert.equal(row[7], '1');
      }
      // Named containers only, in that order.
      const one = parseTable(cli.ok(['stats', '--no-stream', 'st-b']));
      assert.deepEqual(one.rows.map((row) => row[1]), ['st-b']);
      const all = parseTable(cli.ok(['stats', '--no-stream', '-a']));
      assert.deepEqual(all.rows.map((row) => row[1]).sort(), ['st-a', 'st-b', 'st-off']);
      const off = all.rows.find((row) => row[1] === 'st-off')!;
      assert.equal(off[0], c.slice(0, 12));
      assert.equal(off[7], '0');
    } finally {
      rm('st-a', 'st-b', 'st-off');
    }
  });

  it('stats --no-stream: --memory 64m shows a 64MiB limit and PIDS counts the processes', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'st-mem', '--memory', '64m', 'busybox', 'sh', '-c', 'sleep 300 & sleep 301 & wait']);
    try {
      const top = parseTable(cli.ok(['top', 'st-mem']));
      assert.equal(top.rows.length, 3);
      const t = parseTable(cli.ok(['stats', '--no-stream', 'st-mem']));
      assert.equal(t.rows.length, 1);
      const row = t.rows[0]!;
      assert.equal(row[1], 'st-mem');
      const [usage, limit] = row[3]!.split(' / ');
      assert.equal(binaryBytes(limit!), 64 * 1024 * 1024, row[3]);
      const used = binaryBytes(usage!);
      assert.ok(used > 0 && used < 64 * 1024 * 1024, row[3]);
      // MEM % is usage over the limit (the usage shown is rounded to 2 decimals of its unit).
      const perc = Number(row[4]!.replace('%', ''));
      assert.ok(Math.abs(perc - (used / (64 * 1024 * 1024)) * 100) < 0.1, `${row[3]} ${row[4]}`);
      assert.equal(row[7], '3');
      // Without a limit, the limit is the host's memory.
      cli.ok(['run', '--network', 'none', '-d', '--name', 'st-nolimit', 'busybox', 'sleep', '300']);
      const free = parseTable(cli.ok(['stats', '--no-stream', 'st-nolimit'])).rows[0]!;
      const hostMem = binaryBytes(free[3]!.split(' / ')[1]!);
      assert.ok(hostMem > 64 * 1024 * 1024, free[3]);
    } finally {
      rm('st-mem', 'st-nolimit');
    }
  });

  it('stats --no-stream --format json / {{json .}} / a template', () => {
    const id = cli.ok(['run', '--network', 'none', '-d', '--name', 'st-json', '--memory', '64m', 'busybox', 'sleep', '300']);
    try {
      for (const f of ['json', '{{json .}}']) {
        const lines = cli.ok(['stats', '--no-stream', '--format', f, 'st-json']).split('\n');
        assert.equal(lines.length, 1, f);
        const o = JSON.parse(lines[0]!) as Record<string, string>;
        for (const k of STATS_KEYS) assert.equal(typeof o[k], 'string', `${f}: ${k}`);
        assert.equal(o.ID, id.slice(0, 12));
        assert.equal(o.Name, 'st-json');
        assert.equal(o.PIDs, '1');
        assert.equal(binaryBytes(o.MemUsage!.split(' / ')[1]!), 64 * 1024 * 1024);
        assert.match(o.CPUPerc!, /^\d+\.\d\d%$/);
      }
      assert.equal(cli.ok(['stats', '--no-stream', '--format', '{{.Name}}:{{.PIDs}}:{{.NetIO}}', 'st-json']), 'st-json:1:0B / 0B');
      const bad = cli.run(['stats', '--no-stream', '--format', 'nonsense', 'st-json']);
      oneLineError(bad, /--format/);
    } finally {
      rm('st-json');
    }
  });

  it('stats --no-stream: docker\'s spelling of sizes, --no-trunc and the Container key', () => {
    const id = cli.ok(['run', '--network', 'none', '-d', '--name', 'st-docker', '--memory', '64m', 'busybox', 'sleep', '300']);
    try {
      const row = parseTable(cli.ok(['stats', '--no-stream', 'st-docker'])).rows[0]!;
      assert.match(row[3]!, / \/ 64MiB$/);
      const full = parseTable(cli.ok(['stats', '--no-stream', '--no-trunc', 'st-docker'])).rows[0]!;
      assert.equal(full[0], id);
      const o = JSON.parse(cli.ok(['stats', '--no-stream', '--format', 'json', 'st-docker'])) as Record<string, string>;
      assert.equal(o.Container, 'st-docker');
    } finally {
      rm('st-docker');
    }
  });

  it('stats of an unknown container fails with 125 and one line', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'st-real', 'busybox', 'sleep', '300']);
    try {
      oneLineError(cli.run(['stats', '--no-stream', 'st-nosuch']), /no such container: st-nosuch/);
      oneLineError(cli.run(['stats', '--no-stream', 'st-real', 'st-nosuch']), /no such container: st-nosuch/);
    } finally {
      rm('st-real');
    }
  });

  it('leaves no container behind', () => {
    assert.equal(cli.ok(['ps', '-aq']), '');
  });
});
