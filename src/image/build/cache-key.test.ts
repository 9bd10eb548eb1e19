import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isBerthError } from '../../errors.js';
import {
  canonicalInstruction, cleanSource, contextInputsDigest, ContextSnapshot, selectEntries, sha256, stableStringify,
  stepInputsDigest, stepKey,
} from './cache-key.js';
import { parseDockerfile } from './parser.js';
import { planBuild, type PlanOptions } from './stages.js';

const BASE = sha256('base image config');

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-key-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const DOCKERFILE = 'FROM alpine\nARG V=1\nCOPY a.txt /a\nCOPY lib/ /lib/\nRUN echo $V\n';

/** The key of every step of the target stage, chained from the base image. */
async function keys(dir: string, opts: PlanOptions = {}): Promise<string[]> {
  const plan = planBuild(parseDockerfile(DOCKERFILE), opts);
  const snap = await ContextSnapshot.create(dir);
  const out: string[] = [];
  let parent = BASE;
  for (const step of plan.stages[plan.target]!.steps) {
    parent = stepKey(parent, canonicalInstruction(step), await stepInputsDigest(snap, step));
    out.push(parent);
  }
  return out;
}

test('stableStringify and stepKey are deterministic and order-independent for objects', () => {
  assert.equal(stableStringify({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
  assert.equal(stepKey('p', 'i'), stepKey('p', 'i', ''));
  assert.notEqual(stepKey('p', 'i'), stepKey('p', 'i', 'x'));
  assert.notEqual(stepKey('p1', 'i'), stepKey('p2', 'i'));
  assert.match(stepKey('p', 'i'), /^sha256:[0-9a-f]{64}$/);
});

test('canonical instruction ignores layout and line numbers, includes ARGs for RUN only', () => {
  const a = planBuild(parseDockerfile('FROM x\nARG V=1\nRUN  echo \\\nhi\n'));
  const b = planBuild(parseDockerfile('FROM x\n\n\nARG V=1\nRUN  echo \\\n\nhi\n'));
  assert.equal(canonicalInstruction(a.stages[0]!.steps[1]!), canonicalInstruction(b.stages[0]!.steps[1]!));
  const c = planBuild(parseDockerfile('FROM x\nARG V=1\nRUN  echo \\\nhi\n'), { buildArgs: { V: '2' } });
  assert.notEqual(canonicalInstruction(a.stages[0]!.steps[1]!), canonicalInstruction(c.stages[0]!.steps[1]!));
  // Proxy build-args never reach the key.
  const d = planBuild(parseDockerfile('FROM x\nARG V=1\nRUN  echo \\\nhi\n'), { buildArgs: { HTTP_PROXY: 'http://p' } });
  assert.equal(canonicalInstruction(a.stages[0]!.steps[1]!), canonicalInstruction(d.stages[0]!.steps[1]!));
});

test('source selection: paths cleaned like Docker, globs, directories', async (t) => {
  const dir = await tree({ 'a.txt': 'a', 'b.txt': 'b', 'lib/x.js': 'x', 'lib/sub/y.js': 'y', 'other/z': 'z' });
  t.after(() => rm(dir, { recursive: true, force: true }));
  const snap = await ContextSnapshot.create(dir);
  const sel = (s: string): string[] => selectEntries(snap.entries, s).map((e) => e.path);
  assert.equal(cleanSource('../../lib/'), 'lib');
  assert.equal(cleanSource('/'), '');
  assert.deepEqual(sel('*.txt'), ['a.txt', 'b.txt']);
  assert.deepEqual(sel('/lib/'), ['lib', 'lib/sub', 'lib/sub/y.js', 'lib/x.js']);
  assert.deepEqual(sel('../lib/sub'), ['lib/sub', 'lib/sub/y.js']);
  assert.deepEqual(sel('l?b/*.js'), ['lib/x.js']);
  assert.equal(sel('.').length, snap.entries.length);
  assert.throws(() => sel('[a-'), (e: unknown) => isBerthError(e, 'BERTH_EBUILD') && /bad pattern/.test(e.message));
  await assert.rejects(contextInputsDigest(snap, ['nope.txt']), (e: unknown) => isBerthError(e, 'BERTH_EBUILD') && /"nope.txt": not found/.test(e.message));
});

test('keys are stable across runs and identical contexts; one file change changes only its step', async (t) => {
  const files = { 'a.txt': 'alpha', 'lib/x.js': 'x', 'lib/y.js': 'y', 'notes.md': 'n', '.dockerignore': '*.md\n' };
  const dir = await tree(files);
  const twin = await tree(Object.fromEntries(Object.entries(files).reverse()));
  t.after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(twin, { recursive: true, force: true });
  });
  const k0 = await keys(dir);
  assert.equal(k0.length, 4);
  assert.deepEqual(await keys(dir), k0);
  assert.deepEqual(await keys(twin), k0);

  // Content change in lib/: the ARG and the first COPY keep their keys; the second COPY and the RUN
  // after it change.
  await writeFile(join(dir, 'lib/y.js'), 'Y');
  const k1 = await keys(dir);
  assert.deepEqual(k1.slice(0, 2), k0.slice(0, 2));
  assert.notEqual(k1[2], k0[2]);
  assert.notEqual(k1[3], k0[3]);

  // Mode change of a.txt changes the first COPY.
  await chmod(join(dir, 'a.txt'), 0o755);
  const k2 = await keys(dir);
  assert.equal(k2[0], k1[0]);
  assert.notEqual(k2[1], k1[1]);

  // mtime alone, ignored files and files no step reads change nothing.
  const snapshot = await keys(dir);
  await utimes(join(dir, 'a.txt'), new Date(1000), new Date(1000));
  await writeFile(join(dir, 'notes.md'), 'changed');
  await writeFile(join(dir, 'unread.bin'), 'new');
  assert.deepEqual(await keys(dir), snapshot);

  // A build-arg change keeps the COPY keys but changes the RUN that sees it.
  const k3 = await keys(dir, { buildArgs: { V: '2' } });
  assert.deepEqual(k3.slice(0, 3), snapshot.slice(0, 3));
  assert.notEqual(k3[3], snapshot[3]);
});

test('inputs digest covers --chown and --chmod, adding and removing files', async (t) => {
  const dir = await tree({ 'src/a': '1' });
  t.after(() => rm(dir, { recursive: true, force: true }));
  const snap = await ContextSnapshot.create(dir);
  const plain = await contextInputsDigest(snap, ['src']);
  assert.notEqual(await contextInputsDigest(snap, ['src'], { chown: '1000:1000' }), plain);
  assert.notEqual(await contextInputsDigest(snap, ['src'], { chmod: '644' }), plain);
  assert.notEqual(await contextInputsDigest(snap, ['src'], { exclude: ['a'] }), plain);
  await writeFile(join(dir, 'src/b'), '');
  assert.notEqual(await contextInputsDigest(await ContextSnapshot.create(dir), ['src']), plain);
  // COPY --from reads another stage, not the context: its input is known only to the executor.
  const plan = planBuild(parseDockerfile('FROM a AS one\nFROM b\nCOPY --from=one /x /y\n'));
  assert.equal(await stepInputsDigest(snap, plan.stages[1]!.steps[0]!), undefined);
});
