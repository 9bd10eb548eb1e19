// `berth build`: flags to BuildOptions, the context from a directory or a tar on stdin, progress on
// stderr, and the result (image ID, tags, --iidfile, --output archives). The work is in
// src/image/build/executor.ts.

import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../errors.js';
import { resolveRuntime } from '../../../engine/runtime-client.js';
import { saveImages } from '../../../image/archive/save.js';
import { plainBuildProgress, ttyBuildProgress, type BuildProgress } from '../../../image/build/build-progress.js';
import { build } from '../../../image/build/executor.js';
import { progressFor } from '../../../image/progress.js';
import { pullImage } from '../../../image/registry/pull.js';
import { openImageStore } from '../../../image/store.js';
import { applyLayer } from '../../../image/unpack/apply-layer.js';
import type { BerthCommand, GlobalOptions } from '../command.js';

function keyValues(list: string[], what: string, env = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i === 0) throw new BerthError('BERTH_EINVAL', `${what} ${kv}: empty name`);
    if (i < 0) {
      // docker: `--build-arg NAME` takes the value from the environment, if set.
      if (env && process.env[kv] !== undefined) out[kv] = process.env[kv]!;
      else if (!env) out[kv] = '';
      continue;
    }
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

interface OutputSpec { type: 'oci' | 'docker' | 'image'; dest?: string }

function parseOutput(s: string): OutputSpec {
  const fields: Record<string, string> = {};
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) fields.dest = part; // `-o DIR/FILE` alone: docker's local exporter; treated as an oci archive
    else fields[part.slice(0, i)] = part.slice(i + 1);
  }
  const type = fields.type ?? 'oci';
  if (type !== 'oci' && type !== 'docker' && type !== 'image') {
    throw new BerthError('BERTH_EINVAL', `--output type=${type}: berth writes type=oci, type=docker (archives) or type=image (the store)`);
  }
  if (type !== 'image' && (fields.dest === undefined || fields.dest === '')) throw new BerthError('BERTH_EINVAL', `--output type=${type} needs dest=FILE`);
  return { type, ...(fields.dest === undefined ? {} : { dest: fields.dest }) };
}

async function readStdin(): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function looksLikeArchive(b: Buffer): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  return b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar';
}

interface Context { dir: string; dockerfile: { text: string; name: string; contextPath?: string }; cleanup(): void }

async function prepareContext(g: GlobalOptions, pathArg: string, fileArg: string | undefined): Promise<Context> {
  let cleanup = (): void => {};
  let dir: string;
  let stdinDockerfile: string | undefined;
  if (pathArg === '-') {
    if (fileArg === '-') throw new BerthError('BERTH_EINVAL', 'build: the context and the Dockerfile cannot both come from stdin');
    if (process.stdin.isTTY === true) throw new BerthError('BERTH_EINVAL', 'build -: pipe a context tar or a Dockerfile to stdin');
    const data = await readStdin();
    mkdirSync(join(g.runRoot, 'build'), { recursive: true, mode: 0o700 });
    dir = mkdtempSync(join(g.runRoot, 'build', 'context-'));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    if (looksLikeArchive(data)) {
      try {
        await applyLayer(Readable.from([data]), dir, { whiteoutMode: 'vfs', allowDevices: false, chown: false });
      } catch (e) {
        cleanup();
        throw new BerthError('BERTH_EBUILD', `build -: the context tar on stdin is unreadable: ${(e as Error).message}`, { cause: e });
      }
    } else {
      // A Dockerfile on stdin and no context, as `docker build - < Dockerfile`.
      stdinDockerfile = data.toString('utf8');
    }
  } else {
    dir = resolve(pathArg);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BerthError('BERTH_EINVAL', `build: context ${pathArg} is not a directory`);
  }
  if (stdinDockerfile !== undefined) return { dir, dockerfile: { text: stdinDockerfile, name: 'Dockerfile' }, cleanup };
  if (fileArg === '-') {
    if (process.stdin.isTTY === true) throw new BerthError('BERTH_EINVAL', 'build -f -: pipe the Dockerfile to stdin');
    return { dir, dockerfile: { text: (await readStdin()).toString('utf8'), name: 'Dockerfile' }, cleanup };
  }
  let file: string;
  if (fileArg !== undefined) file = pathArg === '-' ? join(dir, fileArg) : resolve(fileArg);
  else file = [join(dir, 'Dockerfile'), join(dir, 'Containerfile')].find((f) => existsSync(f)) ?? join(dir, 'Dockerfile');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    cleanup();
    throw new BerthError('BERTH_EINVAL', `build: cannot read the Dockerfile ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const rel = relative(dir, file);
  const inside = rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..';
  return { dir, dockerfile: { text, name: basename(file), ...(inside ? { contextPath: rel.split(sep).join('/') } : {}) }, cleanup };
}

function epochFrom(buildArgs: Record<string, string>): number | undefined {
  const v = buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^[0-9]+$/.test(v)) throw new BerthError('BERTH_EINVAL', `SOURCE_DATE_EPOCH=${v}: want seconds since 1970`);
  return Number(v);
}

export const buildCommand: BerthCommand = {
  summary: 'build an image from a Dockerfile',
  usage: '[-t NAME[:TAG]]... [-f FILE] [--build-arg K=V]... [--target STAGE] [--no-cache] [--pull] [--iidfile FILE] [--output type=oci|docker,dest=FILE] PATH | -',
  flags: {
    tag: { kind: 'strings', short: 't' },
    file: { kind: 'string', short: 'f' },
    'build-arg': { kind: 'strings' },
    target: { kind: 'string' },
    'no-cache': { kind: 'bool' },
    pull: { kind: 'bool' },
    iidfile: { kind: 'string' },
    output: { kind: 'strings', short: 'o' },
    label: { kind: 'strings' },
    quiet: { kind: 'bool', short: 'q' },
    progress: { kind: 'string', default: 'auto' },
    network: { kind: 'string' },
    runtime: { kind: 'string' },
    platform: { kind: 'string' },
    'tls-verify': { kind: 'bool', default: true },
  },
  differences: 'RUN steps have no outside network yet (a network namespace with only loopback; --network=host shares the host\'s); ADD of URLs is refused (offline-first); --pull falls back to the local image, with a warning, when the registry cannot be reached',
  async run(g, p) {
    const path = p.positionals[0];
    if (path === undefined || p.positionals.length > 1) throw new BerthError('BERTH_EINVAL', 'build: give exactly one context: a directory, or - for a tar on stdin');
    const network = p.flags.network as string | undefined;
    if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') {
      throw new BerthError('BERTH_EINVAL', `build --network=${network}: want default, none or host`);
    }
    const outputs = (p.flags.output as string[]).map(parseOutput);
    const buildArgs = keyValues(p.flags['build-arg'] as string[], '--build-arg', true);
    const labels = keyValues(p.flags.label as string[], '--label');
    const store = openImageStore(g.root);
    const context = await prepareContext(g, path, p.flags.file as string | undefined);
    const mode = p.flags.progress as string;
    const quiet = p.flags.quiet === true;
    let progress: BuildProgress;
    if (quiet) progress = { step: () => ({ output() {}, cached() {}, done() {}, failed: (m, tail) => void process.stderr.write(`${tail.slice(-10).join('\n')}\n`) }), line() {}, close() {} };
    else if (mode === 'tty' || (mode === 'auto' && process.stderr.isTTY === true)) progress = ttyBuildProgress(process.stderr);
    else progress = plainBuildProgress(process.stderr);
    const ac = new AbortController();
    const onSignal = (): void => ac.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const epoch = epochFrom(buildArgs);
    try {
      const r = await build({
        store, contextDir: context.dir, dockerfile: context.dockerfile, buildArgs,
        ...(typeof p.flags.target === 'string' ? { target: p.flags.target } : {}),
        tags: p.flags.tag as string[], labels, noCache: p.flags['no-cache'] === true, pull: p.flags.pull === true,
        ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }),
        ...(network === undefined ? {} : { network: network as 'default' | 'none' | 'host' }),
        runDir: join(g.runRoot, 'build'), runtime: resolveRuntime(p.flags.runtime as string | undefined).path, progress, signal: ac.signal,
        pullImage: (name) => pullImage(store, name, { progress: progressFor(process.stderr, quiet), client: { tlsVerify: p.flags['tls-verify'] !== false } }),
      });
      progress.close();
      for (const w of r.warnings) if (!quiet) process.stderr.write(`${w}\n`);
      for (const o of outputs) {
        if (o.type === 'image') continue;
        const data = Readable.from(saveImages(store, [{ image: r.image, tags: r.tags }], o.type === 'oci' ? 'oci-archive' : 'docker-archive'), { objectMode: false });
        if (o.dest === '-') await pipeline(data, process.stdout);
        else await pipeline(data, createWriteStream(o.dest!));
      }
      if (typeof p.flags.iidfile === 'string') writeFileSync(p.flags.iidfile, r.image.id);
      if (!quiet) {
        process.stderr.write(`Successfully built ${r.image.id.slice(7, 19)} (${r.steps.executed} steps run, ${r.steps.cached} cached)\n`);
        for (const t of r.tags) process.stderr.write(`Successfully tagged ${t}\n`);
      }
      if (!outputs.some((o) => o.dest === '-')) process.stdout.write(`${r.image.id}\n`);
      return 0;
    } finally {
      progress.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      context.cleanup();
    }
  },
};

export const pruneCommand: BerthCommand = {
  summary: 'forget the build cache (its layers go at the next garbage collection unless an image uses them)',
  usage: '',
  flags: {},
  async run(g) {
    const { BuildCache } = await import('../../../image/build/build-cache.js');
    openImageStore(g.root);
    const n = new BuildCache(g.root).clear();
    process.stdout.write(`Deleted ${n} build cache entries\n`);
    return 0;
  },
};
