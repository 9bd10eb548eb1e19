import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../errors.js';
import type { Instruction } from './ast.js';
import { parseDockerfile } from './parser.js';
import { planBuild, type BuildPlan, type PlanOptions, type PlannedStep } from './stages.js';

const plan = (text: string, opts: PlanOptions = {}): BuildPlan => planBuild(parseDockerfile(text), opts);
const steps = (p: BuildPlan, stage = p.target): readonly PlannedStep[] => p.stages[stage]!.steps;
const ins = (p: BuildPlan, i: number, stage = p.target): Instruction => steps(p, stage)[i]!.instruction;

function planError(text: string, opts: PlanOptions = {}): string {
  try {
    plan(text, opts);
  } catch (e) {
    assert.ok(isBerthError(e, 'BERTH_EBUILD'), String(e));
    return e.message;
  }
  assert.fail('expected a planning error');
}

test('ARG before FROM: usable in FROM, not in the stage unless declared again', () => {
  const p = plan('ARG VERSION=latest\nFROM busybox:$VERSION\nWORKDIR /v$VERSION\nARG VERSION\nWORKDIR /v$VERSION\n');
  assert.equal(p.stages[0]!.from.image, 'busybox:latest');
  assert.deepEqual(p.stages[0]!.base, { kind: 'image', ref: 'busybox:latest' });
  assert.equal(steps(p)[0]!.workdir, '/v');
  assert.equal(steps(p)[2]!.workdir, '/vlatest');
  assert.deepEqual(steps(p)[1]!.args, [['VERSION', 'latest']]);
  const p2 = plan('ARG CODE_VERSION=latest\nFROM base:${CODE_VERSION}\nFROM extras:${CODE_VERSION}\n', { buildArgs: { CODE_VERSION: '2' } });
  assert.deepEqual(p2.stages.map((s) => s.from.image), ['base:2', 'extras:2']);
  assert.deepEqual(p2.globalArgs, [['CODE_VERSION', '2']]);
  assert.match(planError('RUN true\nFROM x\n'), /^Dockerfile:1: RUN cannot appear before the first FROM/);
  assert.match(planError('ARG A\n'), /no build stage/);
});

test('ARG scope starts at its line; --build-arg overrides defaults', () => {
  const text = 'FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\nARG b=dflt\nUSER $b\n';
  const p = plan(text, { buildArgs: { username: 'what_user' } });
  assert.deepEqual([1, 3, 5].map((i) => steps(p)[i - 1]!.user), [{ user: 'some_user' }, { user: 'what_user' }, { user: 'dflt' }]);
  const p2 = plan(text, { buildArgs: { username: 'u', b: 'given' } });
  assert.deepEqual(steps(p2)[4]!.user, { user: 'given' });
  // All defaults on one ARG line see the values from before the line.
  const p3 = plan('FROM x\nARG a=1 b=$a\nARG c=$a\nUSER $b:$c\n');
  assert.deepEqual(steps(p3)[2]!.user, { user: '', group: '1' });
});

test('ENV overrides ARG; ENV on one line sees earlier values', () => {
  const p = plan('FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\n', { buildArgs: { CONT_IMG_VER: 'v2.0.1' } });
  assert.deepEqual(steps(p)[2]!.env, [['CONT_IMG_VER', 'v1.0.0']]);
  assert.deepEqual(steps(p)[2]!.args, []);
  const text = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n';
  assert.deepEqual(steps(plan(text, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }))[1]!.env, [['CONT_IMG_VER', 'v2.0.1']]);
  assert.deepEqual(steps(plan(text))[1]!.env, [['CONT_IMG_VER', 'v1.0.0']]);
  const p3 = plan('FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n');
  assert.deepEqual(Object.fromEntries(steps(p3)[2]!.env), { abc: 'bye', def: 'hello', ghi: 'bye' });
  const p4 = plan('FROM x\nENV MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog\nENV ONE TWO= THREE=world\nLABEL "com.example.vendor"="ACME $MY_DOG"\n');
  assert.deepEqual(Object.fromEntries(steps(p4)[1]!.env), { MY_NAME: 'John Doe', MY_DOG: 'Rex The Dog', ONE: 'TWO= THREE=world' });
  const label = ins(p4, 2);
  assert.deepEqual(label.kind === 'LABEL' && label.pairs, [{ key: 'com.example.vendor', value: 'ACME Rex The Dog' }]);
});

test('substitution only where Docker does it', () => {
  const p = plan([
    'FROM busybox', 'ENV FOO=/bar X=x', 'WORKDIR ${FOO}', 'ADD . $FOO', 'COPY \\$FOO /quux', 'RUN echo $FOO',
    'CMD echo $FOO', 'ONBUILD COPY $FOO /x', 'VOLUME ["$FOO/data"]', 'STOPSIGNAL SIG$X', 'USER $X:${X}g',
    'HEALTHCHECK CMD echo $FOO', 'MAINTAINER $FOO',
  ].join('\n'));
  const s = steps(p);
  assert.equal(s[1]!.workdir, '/bar');
  const add = s[2]!.instruction;
  assert.ok(add.kind === 'ADD' && add.dest === '/bar');
  const copy = s[3]!.instruction;
  assert.ok(copy.kind === 'COPY' && copy.sources[0] === '$FOO' && copy.dest === '/quux');
  assert.deepEqual(s[4]!.instruction.kind === 'RUN' && s[4]!.instruction.command, { form: 'shell', command: 'echo $FOO' });
  assert.deepEqual(s[5]!.instruction.kind === 'CMD' && s[5]!.instruction.command, { form: 'shell', command: 'echo $FOO' });
  assert.equal(s[6]!.instruction.kind === 'ONBUILD' && s[6]!.instruction.expression, 'COPY $FOO /x');
  assert.deepEqual(s[7]!.instruction.kind === 'VOLUME' && s[7]!.instruction.paths, ['/bar/data']);
  assert.equal(s[8]!.instruction.kind === 'STOPSIGNAL' && s[8]!.instruction.signal, 'SIGx');
  assert.deepEqual(s[9]!.user, { user: 'x', group: 'xg' });
  assert.equal(s[11]!.instruction.kind === 'MAINTAINER' && s[11]!.instruction.author, '$FOO');
});

test('EXPOSE with variables expands to port specs', () => {
  const p = plan('FROM x\nENV PORTS="80 443/udp" RANGE=8000-8010\nEXPOSE $PORTS ${RANGE}/tcp 53/UDP "9000"\n');
  assert.deepEqual(steps(p)[1]!.ports, [
    { start: 80, end: 80, protocol: 'tcp' }, { start: 443, end: 443, protocol: 'udp' },
    { start: 8000, end: 8010, protocol: 'tcp' }, { start: 53, end: 53, protocol: 'udp' }, { start: 9000, end: 9000, protocol: 'tcp' },
  ]);
  assert.match(planError('FROM x\nEXPOSE 80/xyz\n'), /^Dockerfile:2: invalid protocol/);
  assert.match(planError('FROM x\nEXPOSE 70000\n'), /^Dockerfile:2: invalid port: 70000/);
  assert.match(planError('FROM x\nARG P=abc\nEXPOSE $P\n'), /^Dockerfile:3: invalid port: abc/);
});

test('WORKDIR resolves relative to the previous one and the base image', () => {
  const p = plan('FROM x\nWORKDIR /a\nWORKDIR b\nWORKDIR c\nWORKDIR ../d/\n');
  assert.deepEqual(steps(p).map((s) => s.workdir), ['/a', '/a/b', '/a/b/c', '/a/b/d']);
  const p2 = plan('FROM img\nWORKDIR $HOME/app\nWORKDIR sub\n', { imageConfig: () => ({ env: ['HOME=/root', 'PATH=/bin'], workingDir: '/srv' }) });
  assert.deepEqual(steps(p2).map((s) => s.workdir), ['/root/app', '/root/app/sub']);
  assert.equal(plan('FROM img\nWORKDIR sub\n', { imageConfig: () => ({ workingDir: '/srv' }) }).stages[0]!.steps[0]!.workdir, '/srv/sub');
});

const MULTI = [
  'FROM alpine AS base', // 1
  'ENV SHARED=1', // 2
  'ARG TOOL=gcc', // 3
  'FROM base AS build', // 4
  'RUN make', // 5
  'FROM build AS test', // 6
  'RUN make test', // 7
  'FROM base AS prod', // 8
  'COPY --from=build /app /app', // 9
  'COPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf', // 10
  'RUN --mount=type=bind,from=0,target=/b --mount=type=cache,target=/c true', // 11
].join('\n');

test('multi-stage: --target selects, unused stages are skipped, order puts dependencies first', () => {
  const p = plan(MULTI);
  assert.equal(p.target, 3);
  assert.deepEqual(p.order, [0, 1, 3]);
  assert.deepEqual(p.stages.map((s) => s.needed), [true, true, false, true]);
  assert.deepEqual(p.stages.map((s) => s.deps), [[], [0], [1], [0, 1]]);
  assert.deepEqual(p.stages[3]!.images, ['nginx:latest']);
  assert.deepEqual(steps(p)[0]!.source, { kind: 'stage', index: 1 });
  assert.deepEqual(steps(p)[1]!.source, { kind: 'image', ref: 'nginx:latest' });
  assert.deepEqual(steps(p)[2]!.mountSources, [{ kind: 'stage', index: 0 }, undefined]);
  // ENV and ARG flow from a stage into stages built on it.
  assert.deepEqual(steps(p)[2]!.env, [['SHARED', '1']]);
  assert.deepEqual(steps(p)[2]!.args, [['TOOL', 'gcc']]);
  const t = plan(MULTI, { target: 'TEST' });
  assert.equal(t.target, 2);
  assert.deepEqual(t.order, [0, 1, 2]);
  assert.deepEqual(plan(MULTI, { target: 'base' }).order, [0]);
  assert.equal(planError(MULTI, { target: 'nope' }), 'Dockerfile: target stage "nope" could not be found');
  assert.equal(p.stages[1]!.displayName, 'build');
  assert.equal(plan('FROM a\nFROM b\n').stages[1]!.displayName, 'stage-1');
});

test('stage references: names, indexes, images, self and cycles', () => {
  // FROM only names earlier stages: `FROM node AS node` is the node image.
  const self = plan('FROM node AS node\nRUN true\n');
  assert.deepEqual(self.stages[0]!.base, { kind: 'image', ref: 'node' });
  // A name that is no stage is an image, as Docker treats it.
  const img = plan('FROM a\nCOPY --from=builder /x /y\n');
  assert.deepEqual(img.stages[0]!.steps[0]!.source, { kind: 'image', ref: 'builder' });
  // A variable in --from is substituted before the stage is looked up.
  const v = plan('FROM a AS one\nFROM b\nARG SRC=one\nCOPY --from=$SRC /x /y\n');
  assert.deepEqual(v.stages[1]!.steps[1]!.source, { kind: 'stage', index: 0 });
  assert.equal(planError('FROM a AS x\nCOPY --from=x /a /b\n'), 'Dockerfile:2: circular dependency detected on stage: x');
  assert.equal(planError('FROM a\nCOPY --from=0 /a /b\n'), 'Dockerfile:2: circular dependency detected on stage: stage-0');
  assert.equal(planError('FROM a\nCOPY --from=3 /a /b\n'), 'Dockerfile:2: invalid stage index 3');
  const cycle = 'FROM busybox AS target\nCOPY --from=build / /out\nFROM alpine AS build\nCOPY --from=target /Dockerfile /d2\nFROM target\n';
  assert.match(planError(cycle), /^Dockerfile:(2|4): circular dependency detected on stage: (target|build)$/);
  assert.match(planError('FROM a AS x\nFROM b AS x\n'), /^Dockerfile:2: duplicate stage name "x"/);
});

test('forward references: allowed as in BuildKit, refused in strict mode', () => {
  const text = 'FROM a AS first\nCOPY --from=second /x /y\nFROM b AS second\nRUN true\n';
  const p = plan(text, { target: 'first' });
  assert.deepEqual(p.order, [1, 0]);
  assert.equal(planError(text, { target: 'first', forwardReferences: 'error' }), 'Dockerfile:2: stage "second" is defined after this one (line 3)');
});

test('predefined platform ARGs: global for FROM, inside a stage only when declared', () => {
  const text = 'FROM --platform=$BUILDPLATFORM golang AS build\nARG TARGETOS TARGETARCH\nRUN go build\nWORKDIR /$BUILDARCH\n';
  const p = plan(text, { targetPlatform: { os: 'linux', architecture: 'arm64' }, buildPlatform: { os: 'linux', architecture: 'amd64' } });
  assert.equal(p.stages[0]!.from.platform, 'linux/amd64');
  assert.deepEqual(steps(p)[1]!.args, [['TARGETOS', 'linux'], ['TARGETARCH', 'arm64']]);
  assert.equal(steps(p)[2]!.workdir, '/');
  assert.deepEqual(p.unusedBuildArgs, []);
});

test('unused --build-arg values are reported; proxy args are not and go to RUN', () => {
  const p = plan(MULTI, { buildArgs: { TOOL: 'clang', NOPE: '1', HTTP_PROXY: 'http://proxy:3128', ZZZ: '' } });
  assert.deepEqual(p.unusedBuildArgs, ['NOPE', 'ZZZ']);
  assert.deepEqual(p.warnings, ['[Warning] One or more build-args [NOPE ZZZ] were not consumed']);
  assert.deepEqual(p.proxyArgs, [['HTTP_PROXY', 'http://proxy:3128']]);
  // An ARG declared only in a skipped stage does not consume its build-arg.
  const q = plan('FROM a AS skipped\nARG ONLY_HERE\nFROM b\n', { buildArgs: { ONLY_HERE: 'x' } });
  assert.deepEqual(q.unusedBuildArgs, ['ONLY_HERE']);
});

test('errors in skipped stages do not fail the build; in needed stages they do, with the line', () => {
  const text = 'FROM a AS broken\nWORKDIR ${NEED:?must be set}\nFROM b AS fine\nRUN true\n';
  assert.deepEqual(plan(text).order, [1]);
  assert.equal(planError(text, { target: 'broken' }), 'Dockerfile:2: NEED: must be set');
});

test('RUN mounts and COPY heredocs are substituted', () => {
  const p = plan([
    'FROM alpine', 'ARG FOO=bar CACHE=/root/.cache', 'RUN --mount=type=cache,target=$CACHE --mount=type=secret,id=aws true',
    'COPY <<-EOT /script.sh', '\techo "hello ${FOO}"', 'EOT', 'COPY <<-"EOT" /script2.sh', '\techo "hello ${FOO}"', 'EOT',
  ].join('\n'));
  const run = ins(p, 1);
  assert.ok(run.kind === 'RUN');
  assert.deepEqual(run.mounts, [
    { type: 'cache', target: '/root/.cache', id: '/root/.cache', sharing: 'shared', readonly: false },
    { type: 'secret', id: 'aws', target: '/run/secrets/aws', readonly: false },
  ]);
  const c1 = ins(p, 2);
  assert.ok(c1.kind === 'COPY' && c1.heredocs[0]!.content === 'echo "hello bar"\n');
  const c2 = ins(p, 3);
  assert.ok(c2.kind === 'COPY' && c2.heredocs[0]!.content === 'echo "hello ${FOO}"\n');
  assert.match(planError('FROM a\nCOPY --chmod=999 a b\n'), /^Dockerfile:2: invalid chmod value: 999/);
  const sym = plan('FROM a\nCOPY --chmod=u=rwX,go=rX a b\n');
  assert.equal(ins(sym, 0).kind === 'COPY' && (ins(sym, 0) as { chmod?: string }).chmod, 'u=rwX,go=rX');
});
