import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isBerthError } from '../../errors.js';
import { cleanPath, parseDockerignore, PatternMatcher, readDockerignore, walkContext } from './dockerignore.js';

test('reading .dockerignore: comments, blanks, trimming, cleaning, leading / and !', () => {
  const text = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! \n  spaced.txt  \n ./x/../y/ \n #not-a-comment\n\r\n';
  assert.deepEqual(parseDockerignore(text), [
    'test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!', 'spaced.txt', 'y', '#not-a-comment',
  ]);
  assert.deepEqual(parseDockerignore('\ufeff*.md\r\n!README.md\r\n'), ['*.md', '!README.md']);
  assert.equal(cleanPath('a//b/./c/..'), 'a/b');
  assert.equal(cleanPath(''), '.');
  assert.equal(cleanPath('../x'), '../x');
});

// [patterns, path, excluded]
const table: Array<[string[], string, boolean]> = [
  [['*.md'], 'README.md', true],
  [['*.md'], 'docs/a.md', false],
  [['*.md', '!README.md'], 'README.md', false],
  [['*.md', '!README.md'], 'CHANGES.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-other.md', false],
  [['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
  [['**/*.log'], 'a.log', true],
  [['**/*.log'], 'x/y/z.log', true],
  [['**/*.log'], 'x/y/z.log.txt', false],
  [['build'], 'build', true],
  [['build'], 'build/x/y', true],
  [['build'], 'src/build', false],
  [['docs/**'], 'docs', false],
  [['docs/**'], 'docs/a', true],
  [['docs/**'], 'docs/a/b.txt', true],
  [['docs/**'], 'docsx/a', false],
  [['foo**'], 'foobar/x', true],
  [['**'], 'any/thing', true],
  [['**/foo'], 'foo', true],
  [['**/foo'], 'x/y/foo', true],
  [['**/foo'], 'x/foo/inside', true],
  [['**/foo'], 'xfoo', false],
  [['a/**/b'], 'a/b', true],
  [['a/**/b'], 'a/x/y/b', true],
  [['a/**/b'], 'a/x/yb', false],
  [['[a-c]*'], 'apple', true],
  [['[a-c]*'], 'cat', true],
  [['[a-c]*'], 'dog', false],
  [['[a-c]*'], 'b/deeper/file', true],
  [['[^a-c]*'], 'dog', true],
  [['[^a-c]*'], 'apple', false],
  [['[\\]x]'], ']', true],
  [['temp?'], 'tempa', true],
  [['temp?'], 'temp', false],
  [['temp?'], 'tempab', false],
  [['*/temp*'], 'somedir/temporary.txt', true],
  [['*/temp*'], 'somedir/temp', true],
  [['*/temp*'], 'temp', false],
  [['*/*/temp*'], 'somedir/subdir/temporary.txt', true],
  [['*/*/temp*'], 'somedir/temporary.txt', false],
  [['a\\*b'], 'a*b', true],
  [['a\\*b'], 'axb', false],
  [['file.txt'], 'fileXtxt', false],
  [['(x)+'], '(x)+', true],
  [['.'], 'anything', false],
  [['..'], 'anything', false],
  [['../secret'], 'secret', false],
  [['dir', '!dir/keep.txt'], 'dir/keep.txt', false],
  [['dir', '!dir/keep.txt'], 'dir/other.txt', true],
  [['dir/keep.txt', '!dir'], 'dir/keep.txt', false],
  [['!x', 'x'], 'x/y', true],
];

test('pattern table: Go filepath.Match syntax, **, parents, last matching rule wins', () => {
  for (const [patterns, path, want] of table) {
    assert.equal(new PatternMatcher(patterns).matches(path), want, `${JSON.stringify(patterns)} ${path}`);
  }
});

test('bad patterns are errors', () => {
  for (const bad of ['!', '[a-', 'a\\', '[]a]', '[-a]', '[z-a]']) {
    assert.throws(() => new PatternMatcher([bad]), (e: unknown) => isBerthError(e, 'BERTH_EBUILD') && /bad pattern/.test(e.message), bad);
  }
});

test('whether an excluded directory can hold exceptions', () => {
  const pm = new PatternMatcher(['docs', '!docs/keep/important.txt', 'node_modules', '!node_modules/**/LICENSE', 'tmp', '!*.keep']);
  assert.equal(pm.mayIncludeUnder('docs'), true);
  assert.equal(pm.mayIncludeUnder('docs/keep'), true);
  assert.equal(pm.mayIncludeUnder('docs/other'), false);
  assert.equal(pm.mayIncludeUnder('node_modules/a/b'), true);
  assert.equal(pm.mayIncludeUnder('tmp'), false);
  assert.equal(new PatternMatcher(['x', '!**/keep']).mayIncludeUnder('x/y'), true);
  assert.equal(new PatternMatcher(['x']).mayIncludeUnder('x'), false);
});

async function makeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

test('walkContext: a real directory, exceptions inside excluded dirs, symlinks never followed', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'ctx');
  await makeTree(root, {
    Dockerfile: 'FROM scratch\n',
    '.dockerignore': [
      '# comment', '*.md', '!README.md', '**/*.log', '/build', 'docs', '!docs/keep/important.txt',
      'node_modules', '!node_modules/**/LICENSE', 'Dockerfile', '.dockerignore',
    ].join('\n'),
    'README.md': 'r', 'CHANGES.md': 'c', 'src/app.js': 'js', 'src/app.log': 'log', 'src/deep/x.log': 'log',
    'build/out.bin': 'bin', 'docs/a.md': 'a', 'docs/keep/important.txt': 'i', 'docs/keep/other.txt': 'o',
    'node_modules/pkg/index.js': 'i', 'node_modules/pkg/LICENSE': 'l',
  });
  await makeTree(base, { 'outside/secret.txt': 's' });
  await symlink('../outside', join(root, 'link'));
  await symlink('src', join(root, 'linkdir'));
  const entries = await walkContext(root, await readDockerignore(root));
  assert.deepEqual(entries.map((e) => `${e.type}:${e.path}`), [
    'file:.dockerignore', 'file:Dockerfile', 'file:README.md', 'file:docs/keep/important.txt', 'symlink:link',
    'symlink:linkdir', 'file:node_modules/pkg/LICENSE', 'dir:src', 'file:src/app.js', 'dir:src/deep',
  ]);
  assert.equal(entries.find((e) => e.path === 'link')!.linkTarget, '../outside');
  assert.equal(entries.find((e) => e.path === 'README.md')!.size, 1);
  // Without an ignore file everything is listed, and still nothing through the symlinks.
  const all = await walkContext(root, []);
  assert.equal(all.some((e) => e.path.startsWith('link/') || e.path.startsWith('linkdir/')), false);
  assert.equal(all.filter((e) => e.type === 'file').length, 13);
  // A missing .dockerignore is no patterns.
  assert.deepEqual(await readDockerignore(join(base, 'outside')), []);
  // A Dockerfile under another name is kept when asked.
  const custom = await walkContext(root, ['*.md', 'src'], { alwaysInclude: ['CHANGES.md'] });
  assert.deepEqual(custom.filter((e) => e.path.endsWith('.md') && !e.path.includes('/')).map((e) => e.path), ['CHANGES.md']);
});
