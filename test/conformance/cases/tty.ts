// Terminals: --console-socket hands the pty master to a receiver; `run` with terminal true uses
// the caller's tty. Node cannot receive fds over a unix socket, so the receiver is python3.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runProgram } from '../../helpers/exec.js';
import { waitFor } from '../../helpers/wait.js';
import { assertExit, assertOk, harness, type Suite } from './context.js';

// Binds the socket, prints "ready", receives one fd, types a command into the pty and prints what
// comes back until the shell exits (the master then reads EIO).
const RECEIVER = `
import os, socket, sys, signal
signal.alarm(30)
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 4096, 1)
if len(fds) != 1:
    sys.exit("expected one fd, got %d" % len(fds))
master = fds[0]
os.write(master, b"tty; echo $((40+2))-done; exit\\n")
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode("utf-8", "replace"))
`;

const PYTHON = '/usr/bin/python3';

export function ttyCases(s: Suite): void {
  describe('terminal', { concurrency: true }, () => {
    it('--console-socket receives the pty master of a terminal process', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh'], (spec) => (spec.process.terminal = true));
      writeFileSync(b.path('recv.py'), RECEIVER);
      const sock = b.path('console.sock');
      const recv = spawn(PYTHON, [b.path('recv.py'), sock], { stdio: ['ignore', 'pipe', 'pipe'] });
      h.cleanup.add('stop the console receiver', () => void (recv.exitCode === null && recv.kill('SIGKILL')));
      let out = '';
      let err = '';
      recv.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      recv.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | null>((resolve) => recv.on('close', (code) => resolve(code)));
      await waitFor(() => out.startsWith('ready\n') || recv.exitCode !== null, { what: 'the console receiver to listen' });
      assertOk(await h.create(id, b, ['--console-socket', sock]), 'create --console-socket');
      assertOk(await h.run(['start', id]), 'start');
      assert.equal(await exited, 0, `receiver: ${err}`);
      assert.match(out, /^\/dev\/pts\/\d+\r?$/m);
      assert.match(out, /^42-done\r?$/m);
    });

    it('run with terminal true uses the calling terminal (under script)', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'tty; exit 5'], (spec) => (spec.process.terminal = true));
      // script gives the runtime a controlling tty; -e returns the child's exit status.
      const r = await runProgram('script', ['-qec', h.cli.shellLine(['run', '--bundle', b.dir, id]), '/dev/null']);
      assertExit(r, 5, 'run under script');
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
    });
  });
}
