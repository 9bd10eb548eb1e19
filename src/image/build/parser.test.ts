import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../errors.js';
import type { Instruction } from './ast.js';
import { parseDockerfile } from './parser.js';

const parse = (text: string): Instruction[] => [...parseDockerfile(text).instructions];
const one = (text: string): Instruction => parse(`FROM scratch\n${text}`)[1]!;

function parseError(text: string, file?: string): string {
  try {
    parseDockerfile(text, file === undefined ? {} : { file });
  } catch (e) {
    assert.ok(isBerthError(e, 'BERTH_EBUILD'), String(e));
    return e.message;
  }
  assert.fail(`expected a parse error for:\n${text}`);
}

test('parser directives: escape, syntax and check, only at the very top', () => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\n#  ESCAPE = `\n# check=skip=all\n\nFROM scratch\n');
  assert.deepEqual(df.directives, { escape: '`', syntax: 'docker/dockerfile:1', check: 'skip=all' });
  // After a comment, an instruction or a blank line, a directive is just a comment.
  assert.equal(parseDockerfile('# about\n# escape=`\nFROM scratch\n').directives.escape, '\\');
  assert.equal(parseDockerfile('\n# escape=`\nFROM scratch\n').directives.escape, '\\');
  assert.equal(parseDockerfile('FROM scratch\n# escape=`\n').directives.escape, '\\');
  // An unknown directive ends the directive block.
  assert.equal(parseDockerfile('# unknowndirective=value\n# escape=`\nFROM scratch\n').directives.escape, '\\');
  assert.match(parseError('# escape=`\n# escape=\\\nFROM scratch\n'), /^Dockerfile:2: only one escape parser directive/);
  assert.match(parseError('# escape=x\nFROM scratch\n'), /invalid escape token/);
});

test('comments only at line start (after blanks); # elsewhere is an argument', () => {
  const ins = parse('  # indented comment\nFROM scratch\nRUN echo we are running some # of cool things\n');
  assert.equal(ins.length, 2);
  assert.deepEqual((ins[1] as Extract<Instruction, { kind: 'RUN' }>).command, { form: 'shell', command: 'echo we are running some # of cool things' });
});

test('continuations join lines; comment and blank lines inside are dropped; line numbers kept', () => {
  const ins = parse('FROM scratch\nRUN echo hello \\\n# comment\n\n   \nworld\nUSER nobody\n');
  const run = ins[1]!;
  assert.equal(run.kind, 'RUN');
  assert.deepEqual(run.kind === 'RUN' && run.command, { form: 'shell', command: 'echo hello world' });
  assert.equal(run.line, 2);
  assert.equal(run.endLine, 6);
  assert.equal(ins[2]!.line, 7);
  // Blanks after the escape character still continue; leading blanks of the next line are kept.
  const r2 = one('RUN echo "\\  \n     hello\\\n     world"');
  assert.deepEqual(r2.kind === 'RUN' && r2.command, { form: 'shell', command: 'echo "     hello     world"' });
  // A continuation at the end of the file ends the instruction.
  const r3 = one('RUN echo a \\');
  assert.deepEqual(r3.kind === 'RUN' && r3.command, { form: 'shell', command: 'echo a' });
  // CRLF files.
  assert.equal(parse('FROM scratch\r\nRUN a \\\r\n b\r\n').length, 2);
});

test('escape directive with backtick (the Windows example from the reference)', () => {
  const df = parseDockerfile('# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n');
  const [, copy, run] = df.instructions;
  assert.equal(copy!.kind, 'COPY');
  assert.equal(copy!.kind === 'COPY' && copy!.dest, 'c:\\');
  assert.deepEqual(run!.kind === 'RUN' && run!.command, { form: 'shell', command: 'dir c:\\' });
  // Without the directive the trailing backslash joins the two lines, as the reference warns.
  const bad = parseDockerfile('FROM microsoft/nanoserver\nCOPY testfile.txt c:\\\\\nRUN dir c:\\\n');
  assert.equal(bad.instructions.length, 2);
  assert.equal(bad.instructions[1]!.original, 'COPY testfile.txt c:\\RUN dir c:');
  const tick = parseDockerfile('# escape=`\nFROM scratch\nRUN New-Item `\n  -ItemType Directory C:\\Example\n');
  assert.deepEqual(tick.instructions[1]!.kind === 'RUN' && tick.instructions[1]!.command, {
    form: 'shell', command: 'New-Item   -ItemType Directory C:\\Example',
  });
});

test('exec (JSON) form vs shell form; malformed JSON falls back to shell form', () => {
  const cases: Array<[string, unknown]> = [
    ['CMD ["executable","param1","param2"]', { form: 'exec', args: ['executable', 'param1', 'param2'] }],
    ['ENTRYPOINT [ "top", "-b" ]', { form: 'exec', args: ['top', '-b'] }],
    ['CMD []', { form: 'exec', args: [] }],
    ['RUN ["c:\\\\windows\\\\system32\\\\tasklist.exe"]', { form: 'exec', args: ['c:\\windows\\system32\\tasklist.exe'] }],
    ['RUN ["c:\\windows\\system32\\tasklist.exe"]', { form: 'shell', command: '["c:\\windows\\system32\\tasklist.exe"]' }],
    ["CMD ['single', 'quotes']", { form: 'shell', command: "['single', 'quotes']" }],
    ['CMD [ "unterminated"', { form: 'shell', command: '[ "unterminated"' }],
    ['CMD echo $HOME', { form: 'shell', command: 'echo $HOME' }],
    ['ENTRYPOINT exec top -b', { form: 'shell', command: 'exec top -b' }],
  ];
  for (const [text, want] of cases) {
    const ins = one(text);
    assert.ok(ins.kind === 'RUN' || ins.kind === 'CMD' || ins.kind === 'ENTRYPOINT');
    assert.deepEqual(ins.command, want, text);
  }
  assert.match(parseError('FROM scratch\nCMD [1, 2]\n'), /^Dockerfile:2: .*strings only/);
  const sh = one('SHELL ["powershell", "-command"]');
  assert.deepEqual(sh.kind === 'SHELL' && sh.shell, ['powershell', '-command']);
  assert.match(parseError('FROM scratch\nSHELL /bin/bash -c\n'), /^Dockerfile:2: SHELL requires the arguments to be in JSON form/);
});

test('heredocs: RUN, several on one line, <<- tab stripping, quoted delimiters', () => {
  const ins = parse([
    'FROM alpine',
    'RUN <<EOT bash',
    '  set -ex',
    '  apt-get update',
    'EOT',
    'RUN <<FILE1 cat > file1 && <<FILE2 cat > file2',
    'I am',
    'first',
    'FILE1',
    'I am',
    'second',
    'FILE2',
    'RUN <<-EOF',
    '\techo test',
    '\tEOF',
    'COPY <<-"EOT" /script.sh',
    '  echo "hello ${FOO}"',
    'EOT',
    "RUN <<'EOF' | python",
    'print("hello")',
    'EOF',
    'USER nobody',
  ].join('\n'));
  const run1 = ins[1]!;
  assert.ok(run1.kind === 'RUN');
  assert.deepEqual(run1.command, { form: 'shell', command: '<<EOT bash' });
  assert.deepEqual(run1.heredocs, [{ name: 'EOT', content: '  set -ex\n  apt-get update\n', expand: true, chomp: false }]);
  assert.equal(run1.line, 2);
  assert.equal(run1.endLine, 5);
  const run2 = ins[2]!;
  assert.ok(run2.kind === 'RUN');
  assert.deepEqual(run2.heredocs.map((h) => [h.name, h.content]), [['FILE1', 'I am\nfirst\n'], ['FILE2', 'I am\nsecond\n']]);
  const run3 = ins[3]!;
  assert.ok(run3.kind === 'RUN');
  assert.deepEqual(run3.heredocs, [{ name: 'EOF', content: 'echo test\n', expand: true, chomp: true }]);
  const copy = ins[4]!;
  assert.ok(copy.kind === 'COPY');
  assert.deepEqual(copy.sources, []);
  assert.equal(copy.dest, '/script.sh');
  assert.deepEqual(copy.heredocs, [{ name: 'EOT', content: '  echo "hello ${FOO}"\n', expand: false, chomp: true }]);
  const run5 = ins[5]!;
  assert.ok(run5.kind === 'RUN' && run5.heredocs[0]!.expand === false && run5.heredocs[0]!.content === 'print("hello")\n');
  assert.equal(ins[6]!.kind, 'USER');
  assert.equal(ins[6]!.line, 22);
});

test('heredocs: COPY inline files, mixed with paths; none in JSON form or quoted words', () => {
  const copy = one('COPY <<robots.txt <<humans.txt foo.txt /usr/share/nginx/html/\nUser-agent: *\nrobots.txt\nhello\nhumans.txt');
  assert.ok(copy.kind === 'COPY');
  assert.deepEqual(copy.sources, ['foo.txt']);
  assert.deepEqual(copy.heredocs.map((h) => [h.name, h.content]), [['robots.txt', 'User-agent: *\n'], ['humans.txt', 'hello\n']]);
  const empty = one('RUN <<EMPTY\nEMPTY');
  assert.ok(empty.kind === 'RUN' && empty.heredocs[0]!.content === '');
  const json = one('RUN ["<<EOF"]');
  assert.ok(json.kind === 'RUN' && json.heredocs.length === 0);
  const quoted = one('RUN "<<NOHEREDOC"');
  assert.ok(quoted.kind === 'RUN' && quoted.heredocs.length === 0);
  // Comment-looking lines inside a here-document are content.
  const hash = one('RUN <<EOF\n#!/usr/bin/env python\nprint(1)\nEOF');
  assert.ok(hash.kind === 'RUN' && hash.heredocs[0]!.content === '#!/usr/bin/env python\nprint(1)\n');
  assert.match(parseError('FROM scratch\nRUN <<EOF\necho\n'), /^Dockerfile:2: unterminated here-document/);
});

test('FROM with --platform and AS; stage names checked and lower-cased', () => {
  const f = parse('FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n')[0]!;
  assert.deepEqual(f.kind === 'FROM' && { image: f.image, stageName: f.stageName, platform: f.platform }, {
    image: 'golang:1.22', stageName: 'build', platform: '$BUILDPLATFORM',
  });
  assert.match(parseError('FROM a b\n'), /^Dockerfile:1: FROM requires either one or three arguments/);
  assert.match(parseError('FROM a AS 1abc\n'), /invalid name for build stage/);
  assert.match(parseError('FROM --plat=x a\n'), /^Dockerfile:1: unknown flag: plat/);
});

test('ENV: key=value pairs with quotes and escapes, and the legacy form', () => {
  const e1 = one('ENV MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog \\\n    MY_CAT=fluffy');
  assert.deepEqual(e1.kind === 'ENV' && e1.pairs, [
    { key: 'MY_NAME', value: '"John Doe"' }, { key: 'MY_DOG', value: 'Rex\\ The\\ Dog' }, { key: 'MY_CAT', value: 'fluffy' },
  ]);
  assert.equal(e1.kind === 'ENV' && e1.legacy, false);
  const e2 = one('ENV ONE TWO= THREE=world');
  assert.deepEqual(e2.kind === 'ENV' && [e2.pairs, e2.legacy], [[{ key: 'ONE', value: 'TWO= THREE=world' }], true]);
  assert.match(parseError('FROM scratch\nENV A=1 B\n'), /^Dockerfile:2: Syntax error - can't find = in "B"/);
  assert.match(parseError('FROM scratch\nENV ONLY\n'), /^Dockerfile:2: ENV must have two arguments/);
  assert.match(parseError('FROM scratch\nENV =x\n'), /ENV names can not be blank/);
  const l = one('LABEL "com.example.vendor"="ACME Incorporated" version="1.0" description="This text \\\nspans lines."');
  assert.deepEqual(l.kind === 'LABEL' && l.pairs.map((p) => p.key), ['"com.example.vendor"', 'version', 'description']);
});

test('ARG: several on one line, with and without defaults', () => {
  const a = parse('ARG A B=2 C="x y"\nFROM scratch\n')[0]!;
  assert.deepEqual(a.kind === 'ARG' && a.args, [{ name: 'A' }, { name: 'B', default: '2' }, { name: 'C', default: '"x y"' }]);
  assert.match(parseError('ARG\nFROM scratch\n'), /^Dockerfile:1: ARG requires at least one argument/);
});

test('COPY/ADD flags and forms', () => {
  const c = one('COPY --from=build --chown=55:mygroup --chmod=644 --link --exclude=*.md --exclude=*.txt files* /somedir/');
  assert.ok(c.kind === 'COPY');
  assert.deepEqual([c.from, c.chown, c.chmod, c.link, c.exclude, c.sources, c.dest, c.json], [
    'build', '55:mygroup', '644', true, ['*.md', '*.txt'], ['files*'], '/somedir/', false,
  ]);
  const j = one('COPY ["my file.txt", "other one", "/dest dir/"]');
  assert.ok(j.kind === 'COPY' && j.json && j.sources.length === 2 && j.dest === '/dest dir/');
  const lf = one('COPY --link=false --parents a b /x/');
  assert.ok(lf.kind === 'COPY' && lf.link === false && lf.parents);
  const add = one('ADD --checksum=sha256:abc --keep-git-dir=true --unpack=false https://example.com/a.tgz /x');
  assert.ok(add.kind === 'ADD' && add.checksum === 'sha256:abc' && add.keepGitDir && add.unpack === false);
  assert.match(parseError('FROM scratch\nCOPY onlyone\n'), /^Dockerfile:2: COPY requires at least two arguments, but only one was provided/);
  assert.match(parseError('FROM scratch\nCOPY --from a b\n'), /^Dockerfile:2: missing a value on flag: from/);
  assert.match(parseError('FROM scratch\nADD --from=x a b\n'), /^Dockerfile:2: unknown flag: from/);
  assert.match(parseError('FROM scratch\nCOPY --link=maybe a b\n'), /expecting boolean value/);
  // A bare `--` ends the flags.
  const dd = one('COPY -- --weird-name /x');
  assert.ok(dd.kind === 'COPY' && dd.sources[0] === '--weird-name');
});

test('RUN flags: mounts of each type, network, security', () => {
  const r = one([
    'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt \\',
    '    --mount=type=bind,source=src,target=/src,from=build,rw \\',
    '    --mount=type=secret,id=aws,target=/root/.aws/credentials,required=true \\',
    '    --mount=type=tmpfs,target=/tmp,size=64m --mount=target=/ctx \\',
    '    --network=none --security=insecure make',
  ].join('\n'));
  assert.ok(r.kind === 'RUN');
  assert.deepEqual(r.mounts, [
    { type: 'cache', target: '/var/cache/apt', sharing: 'locked', id: 'apt', readonly: false },
    { type: 'bind', source: 'src', target: '/src', from: 'build', readonly: false },
    { type: 'secret', id: 'aws', target: '/root/.aws/credentials', required: true, readonly: false },
    { type: 'tmpfs', target: '/tmp', size: 64 * 1024 * 1024, readonly: false },
    { type: 'bind', target: '/ctx', readonly: true },
  ]);
  assert.equal(r.network, 'none');
  assert.equal(r.security, 'insecure');
  assert.deepEqual(r.command, { form: 'shell', command: 'make' });
  assert.match(parseError('FROM scratch\nRUN --mount=type=nfs,target=/x true\n'), /^Dockerfile:2: unsupported mount type "nfs"/);
  assert.match(parseError('FROM scratch\nRUN --mount=type=cache true\n'), /requires a target/);
  assert.match(parseError('FROM scratch\nRUN --mount=type=cache,target=/x,sharing=all true\n'), /unsupported sharing/);
  assert.match(parseError('FROM scratch\nRUN --mount=type=bind,target=/x,colour=red true\n'), /unexpected key 'colour'/);
  assert.match(parseError('FROM scratch\nRUN --network=bridge true\n'), /unsupported network mode/);
  assert.match(parseError('FROM scratch\nRUN\n'), /^Dockerfile:2: RUN requires at least one argument/);
});

test('EXPOSE, WORKDIR, USER, VOLUME, STOPSIGNAL, MAINTAINER shapes', () => {
  const e = one('EXPOSE 80 80/tcp 53/udp 8000-8010 $PORT');
  assert.deepEqual(e.kind === 'EXPOSE' && e.ports, ['80', '80/tcp', '53/udp', '8000-8010', '$PORT']);
  const w = one('WORKDIR /path/to/workdir');
  assert.equal(w.kind === 'WORKDIR' && w.path, '/path/to/workdir');
  const u = one('USER patrick:staff');
  assert.equal(u.kind === 'USER' && u.user, 'patrick:staff');
  const v1 = one('VOLUME ["/var/www", "/var/log/apache2"]');
  assert.deepEqual(v1.kind === 'VOLUME' && [v1.paths, v1.json], [['/var/www', '/var/log/apache2'], true]);
  const v2 = one('VOLUME /var/log /var/db');
  assert.deepEqual(v2.kind === 'VOLUME' && [v2.paths, v2.json], [['/var/log', '/var/db'], false]);
  assert.match(parseError('FROM scratch\nVOLUME [""]\n'), /VOLUME specified can not be an empty string/);
  const s = one('STOPSIGNAL SIGKILL');
  assert.equal(s.kind === 'STOPSIGNAL' && s.signal, 'SIGKILL');
  const m = one('MAINTAINER Sven <sven@example.com>');
  assert.equal(m.kind === 'MAINTAINER' && m.author, 'Sven <sven@example.com>');
  assert.match(parseError('FROM scratch\nWORKDIR\n'), /^Dockerfile:2: WORKDIR requires exactly one argument/);
  assert.match(parseError('FROM scratch\nEXPOSE\n'), /^Dockerfile:2: EXPOSE requires at least one argument/);
});

test('HEALTHCHECK: options in nanoseconds, CMD forms, NONE', () => {
  const h = one('HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=4 \\\n  CMD curl -f http://localhost/ || exit 1');
  assert.ok(h.kind === 'HEALTHCHECK' && h.check.type === 'CMD');
  assert.deepEqual(h.check, {
    type: 'CMD', command: { form: 'shell', command: 'curl -f http://localhost/ || exit 1' },
    interval: 300e9, timeout: 3e9, startPeriod: 90e9, startInterval: 500e6, retries: 4,
  });
  const j = one('HEALTHCHECK CMD ["/bin/check", "-q"]');
  assert.deepEqual(j.kind === 'HEALTHCHECK' && j.check, { type: 'CMD', command: { form: 'exec', args: ['/bin/check', '-q'] } });
  assert.deepEqual(one('HEALTHCHECK none').kind === 'HEALTHCHECK' && (one('HEALTHCHECK NONE') as { check: unknown }).check, { type: 'NONE' });
  assert.match(parseError('FROM scratch\nHEALTHCHECK NONE extra\n'), /HEALTHCHECK NONE takes no arguments/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK --interval=5s NONE\n'), /HEALTHCHECK NONE takes no options/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK CURL x\n'), /Unknown type "CURL" in HEALTHCHECK \(try CMD\)/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK CMD\n'), /Missing command after HEALTHCHECK CMD/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK --interval=10us CMD true\n'), /--interval cannot be less than 1ms/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK --retries=-1 CMD true\n'), /--retries cannot be negative/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK --timeout=soon CMD true\n'), /invalid duration "soon"/);
  assert.match(parseError('FROM scratch\nHEALTHCHECK --interval=5s --interval=6s CMD true\n'), /duplicate flag/);
});

test('ONBUILD: parsed trigger, expression kept, forbidden triggers rejected', () => {
  const o = one('ONBUILD COPY --from=build /usr/bin/app /app');
  assert.ok(o.kind === 'ONBUILD');
  assert.equal(o.expression, 'COPY --from=build /usr/bin/app /app');
  assert.ok(o.trigger.kind === 'COPY' && o.trigger.from === 'build');
  const r = one('onbuild run /usr/local/bin/python-build --dir /app/src');
  assert.ok(r.kind === 'ONBUILD' && r.trigger.kind === 'RUN');
  assert.match(parseError('FROM scratch\nONBUILD ONBUILD RUN x\n'), /^Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
  assert.match(parseError('FROM scratch\nONBUILD FROM alpine\n'), /^Dockerfile:2: FROM isn't allowed as an ONBUILD trigger/);
  assert.match(parseError('FROM scratch\nONBUILD MAINTAINER me\n'), /MAINTAINER isn't allowed as an ONBUILD trigger/);
  assert.match(parseError('FROM scratch\nONBUILD FOOBAR x\n'), /^Dockerfile:2: unknown instruction: FOOBAR/);
});

test('unknown instruction and other errors carry the file and line', () => {
  const text = ['FROM alpine', '', '# comment', 'RUN a \\', '  b', '', '', '', '', '', '', 'FOOBAR baz'].join('\n');
  assert.equal(parseError(text), 'Dockerfile:12: unknown instruction: FOOBAR');
  assert.equal(parseError('FROM alpine\nfoobar baz\n', 'build.Dockerfile'), 'build.Dockerfile:2: unknown instruction: FOOBAR');
  assert.match(parseError('# just a comment\n'), /^Dockerfile: file with no instructions/);
  assert.equal(parse('from alpine\nrun true\n')[1]!.kind, 'RUN');
});
