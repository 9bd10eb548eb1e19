import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpandError, expandHeredoc, expandWord, expandWords, lookupIn, splitRawWords } from './expand.js';

const vars = new Map<string, string | undefined>([
  ['SET', 'value'], ['EMPTY', ''], ['FOO', '/bar'], ['SPACED', 'a  b'], ['str', 'foobarbaz'], ['PORTS', '80 443/udp'],
]);
const env = lookupIn(vars);
const w = (s: string): string => expandWord(s, env);

test('plain, braced and escaped variables', () => {
  const cases: Array<[string, string]> = [
    ['$FOO', '/bar'], ['${FOO}', '/bar'], ['${FOO}_bar', '/bar_bar'], ['$FOO_bar', ''], ['x$UNSET.y', 'x.y'],
    ['\\$FOO', '$FOO'], ['\\${FOO}', '${FOO}'], ['$', '$'], ['a$', 'a$'], ['$/x', '$/x'], ['100%', '100%'],
    ['$1', ''],
  ];
  for (const [input, want] of cases) assert.equal(w(input), want, input);
});

test('${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} with set, empty and unset variables', () => {
  const cases: Array<[string, string]> = [
    ['${SET:-d}', 'value'], ['${EMPTY:-d}', 'd'], ['${UNSET:-d}', 'd'],
    ['${SET-d}', 'value'], ['${EMPTY-d}', ''], ['${UNSET-d}', 'd'],
    ['${SET:+alt}', 'alt'], ['${EMPTY:+alt}', ''], ['${UNSET:+alt}', ''],
    ['${SET+alt}', 'alt'], ['${EMPTY+alt}', 'alt'], ['${UNSET+alt}', ''],
    ['${UNSET:-$FOO/x}', '/bar/x'], ['${UNSET:-${ALSO:-deep}}', 'deep'], ['${UNSET:-"quoted }"}', 'quoted }'],
    ['${UNSET:-a\\}b}', 'a}b'], ['${SET:?must}', 'value'],
  ];
  for (const [input, want] of cases) assert.equal(w(input), want, input);
  assert.throws(() => w('${UNSET:?must be set}'), (e: unknown) => e instanceof ExpandError && e.message === 'UNSET: must be set');
  assert.throws(() => w('${EMPTY:?}'), /EMPTY: is not allowed to be empty/);
  assert.equal(w('${EMPTY?}'), '');
  assert.throws(() => w('${UNSET?}'), /UNSET: is not allowed to be unset/);
});

test('pattern modifiers the reference documents (# ## % %% / //)', () => {
  const cases: Array<[string, string]> = [
    ['${str#f*b}', 'arbaz'], ['${str##f*b}', 'az'], ['${str%b*}', 'foobar'], ['${str%%b*}', 'foo'],
    ['${str/ba/fo}', 'fooforbaz'], ['${str//ba/fo}', 'fooforfoz'], ['${str#x}', 'foobarbaz'],
    ['${str/?a/X}', 'fooXrbaz'], ['${str//a}', 'foobrbz'], ['${str/\\*/x}', 'foobarbaz'], ['${UNSET#a}', ''],
  ];
  for (const [input, want] of cases) assert.equal(w(input), want, input);
});

test('quotes: single quotes literal, double quotes expand, escapes in each', () => {
  const cases: Array<[string, string]> = [
    ["'$FOO'", '$FOO'], ['"$FOO"', '/bar'], ['"a b"', 'a b'], ["'a\\b'", 'a\\b'], ['"a\\"b"', 'a"b'],
    ['"a\\$b"', 'a$b'], ['"a\\\\b"', 'a\\b'], ['"a\\nb"', 'a\\nb'], ['Rex\\ The\\ Dog', 'Rex The Dog'],
    ['"John Doe"', 'John Doe'], ['foo-"$SET"-\'$SET\'', 'foo-value-$SET'], ['a\\', 'a'],
  ];
  for (const [input, want] of cases) assert.equal(w(input), want, input);
  assert.throws(() => w("'open"), /matching single-quote/);
  assert.throws(() => w('"open'), /matching double-quote/);
  assert.throws(() => w('${FOO'), /missing '}'/);
  assert.throws(() => w('${}'), /bad substitution/);
  assert.throws(() => w('${FOO:x}'), /unsupported modifier/);
});

test('backtick escape: backslashes are ordinary characters', () => {
  assert.equal(expandWord('c:\\path\\$FOO', env, { escape: '`' }), 'c:\\path\\/bar');
  assert.equal(expandWord('`$FOO', env, { escape: '`' }), '$FOO');
  assert.equal(expandWord('"a`"b"', env, { escape: '`' }), 'a"b');
});

test('word splitting: unquoted blanks and unquoted expansions split, quoted ones do not', () => {
  assert.deepEqual(expandWords('$PORTS 8080', env), ['80', '443/udp', '8080']);
  assert.deepEqual(expandWords('"$PORTS" 8080', env), ['80 443/udp', '8080']);
  assert.deepEqual(expandWords('x$SPACED\'y z\'', env), ['xa', "by z"]);
  assert.deepEqual(expandWords('  a   b  ', env), ['a', 'b']);
  assert.deepEqual(expandWords('"" a', env), ['', 'a']);
  assert.deepEqual(expandWords('$UNSET', env), []);
  // expandWord keeps the blanks of the value.
  assert.equal(w('$SPACED'), 'a  b');
});

test('used variables are reported', () => {
  const used = new Set<string>();
  expandWord('$A ${B:-$C} \\$D \'$E\'', () => undefined, { used });
  assert.deepEqual([...used].sort(), ['A', 'B', 'C']);
});

test('here-document bodies: $ expands, quotes are text, \\$ escapes', () => {
  assert.equal(expandHeredoc('echo "hello ${FOO}"\n', env), 'echo "hello /bar"\n');
  assert.equal(expandHeredoc("it's \\$FOO and \\\\ and \\n\n", env), "it's $FOO and \\ and \\n\n");
  assert.equal(expandHeredoc('a \\\nb\n', env), 'a b\n');
  assert.equal(expandHeredoc('${UNSET:-"dflt"}\n', env), 'dflt\n');
});

test('raw word splitting keeps quotes and escapes', () => {
  assert.deepEqual(splitRawWords('MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog  X=\'a b\'', '\\'), [
    'MY_NAME="John Doe"', 'MY_DOG=Rex\\ The\\ Dog', "X='a b'",
  ]);
  assert.deepEqual(splitRawWords('a=`"b c`" d', '`'), ['a=`"b', 'c`"', 'd']);
  assert.deepEqual(splitRawWords('"a\\"b c" d', '\\'), ['"a\\"b c"', 'd']);
});

test('ENV values shadow ARG values', () => {
  const lookup = lookupIn(new Map([['V', 'env']]), new Map([['V', 'arg'], ['W', 'arg']]));
  assert.equal(expandWord('$V-$W', lookup), 'env-arg');
  // A declared ARG without a value is unset, so a later map or the default applies.
  const l2 = lookupIn(new Map<string, string | undefined>([['X', undefined]]));
  assert.equal(expandWord('${X-unset}', l2), 'unset');
});
