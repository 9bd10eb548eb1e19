// The two things Node cannot do: create device nodes/fifos (mknod) and set extended attributes.
// Until src/sys grows them, they shell out, in batches so that a layer with thousands of whiteouts
// costs a few processes rather than thousands: mknod(1) from coreutils, setfattr(1) from the
// Debian package `attr`. Behind an interface, so the C helper or a sys binding can replace them.

import { execFileSync } from 'node:child_process';
import { BerthError } from '../../errors.js';

export interface NodeSpec {
  path: string;
  kind: 'char' | 'block' | 'fifo';
  major: number;
  minor: number;
}

export interface XattrSpec {
  path: string;
  name: string;
  value: Buffer;
}

export interface NodeOps {
  /** Create the nodes (mode 0600, owner root); the caller sets owner, mode and times after. */
  mknod(nodes: NodeSpec[]): void;
  /** Set each xattr on the path itself, never through a final symlink. */
  setXattrs(attrs: XattrSpec[]): void;
}

const BATCH = 400;

const MKNOD_SCRIPT =
  'while [ $# -gt 0 ]; do ' +
  'if [ "$2" = p ]; then mknod -m 600 -- "$1" p || exit 1; ' +
  'else mknod -m 600 -- "$1" "$2" "$3" "$4" || exit 1; fi; shift 4; done';

function failed(what: string, e: unknown): BerthError {
  const err = e as NodeJS.ErrnoException & { stderr?: Buffer | string };
  if (err.code === 'ENOENT') {
    return new BerthError('BERTH_EUNSUPPORTED', `${what}: the program is not installed${what.startsWith('setfattr') ? ' (Debian package attr)' : ''}`, { cause: e });
  }
  const msg = String(err.stderr ?? err.message ?? e).trim().split('\n')[0];
  return new BerthError('BERTH_ELAYER', `${what} failed: ${msg}`, { cause: e });
}

/** getfattr's dump format escapes bytes as \ooo; we escape everything outside printable ASCII. */
function quote(s: Buffer | string): string {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  let out = '';
  for (const c of b) {
    out += c > 0x20 && c < 0x7f && c !== 0x5c && c !== 0x3d ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
  }
  return out;
}

export const shellNodeOps: NodeOps = {
  mknod(nodes) {
    for (let i = 0; i < nodes.length; i += BATCH) {
      const args: string[] = [];
      for (const n of nodes.slice(i, i + BATCH)) {
        if (n.kind === 'fifo') args.push(n.path, 'p', '0', '0');
        else args.push(n.path, n.kind === 'char' ? 'c' : 'b', String(n.major), String(n.minor));
      }
      try {
        execFileSync('sh', ['-c', MKNOD_SCRIPT, 'mknod', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        throw failed('mknod', e);
      }
    }
  },
  setXattrs(attrs) {
    if (attrs.length === 0) return;
    const dump = attrs.map((a) => `# file: ${quote(a.path)}\n${quote(a.name)}=0x${a.value.toString('hex')}\n\n`).join('');
    try {
      execFileSync('setfattr', ['-h', '--restore=-'], { input: dump, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 16 << 20 });
    } catch (e) {
      throw failed('setfattr', e);
    }
  },
};
