// `POST /build`: the tar context from the request body is unpacked into a scratch directory under
// the run root, the builder runs on it, and its progress goes out as docker's `{"stream": …}` lines
// with `{"aux":{"ID":…}}` for the result. A client that goes away aborts the build.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { resolveRuntime } from '../../engine/runtime-client.js';
import { stepLabel, type BuildProgress } from '../../image/build/build-progress.js';
import { build as runBuild } from '../../image/build/executor.js';
import { pullImage } from '../../image/registry/pull.js';
import { insecureRegistries } from '../../image/registry/credentials.js';
import { resolveInRoot } from '../../engine/inroot.js';
import { applyLayer } from '../../image/unpack/apply-layer.js';
import type { ApiStream, BuildOptions } from '../backend.js';
import { Channel } from '../channel.js';
import type { ProgressMessage } from '../types.js';
import { imageStore } from './images.js';
import type { EngineApi } from './state.js';

function streamProgress(ch: Channel<ProgressMessage>, quiet: boolean): BuildProgress {
  const say = (text: string): void => { if (!quiet) void ch.push({ stream: text }); };
  return {
    step(info) {
      say(`${stepLabel(info)}\n`);
      return {
        output: (chunk) => say(chunk.toString('utf8')),
        cached: () => say(' ---> Using cache\n'),
        done: () => undefined,
        // The error itself ends the stream as an errorDetail; quiet builds still show the step's last lines.
        failed: (_message, tail) => { if (quiet) void ch.push({ stream: `${tail.slice(-10).join('\n')}\n` }); },
      };
    },
    line: (text) => say(`${text}\n`),
    close() {},
  };
}

export async function build(api: EngineApi, context: Readable, opts: BuildOptions): Promise<ApiStream<ProgressMessage>> {
  const { root, runRoot } = api.engine.paths;
  const base = join(runRoot, 'build');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(base, 'api-context-'));
  const abort = new AbortController();
  const ch = new Channel<ProgressMessage>(256, () => abort.abort());
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await applyLayer(context, dir, { whiteoutMode: 'vfs', allowDevices: false, chown: false });
  } catch (e) {
    cleanup();
    throw new BerthError('BERTH_EINVAL', `the build context is not a readable tar: ${(e as Error).message}`, { cause: e });
  }
  const dfPath = resolveInRoot(dir, opts.dockerfile);
  let text: string;
  try {
    text = readFileSync(dfPath.host, 'utf8');
  } catch {
    cleanup();
    throw new BerthError('BERTH_EINVAL', `Cannot locate specified Dockerfile: ${opts.dockerfile}`);
  }
  const store = imageStore(api);
  void (async () => {
    const r = await runBuild({
      store, contextDir: dir, dockerfile: { text, name: opts.dockerfile, contextPath: dfPath.inside.slice(1) },
      buildArgs: opts.buildArgs, labels: opts.labels, tags: opts.tags, noCache: opts.noCache, pull: opts.pull,
      ...(opts.target !== undefined ? { target: opts.target } : {}),
      runDir: base, runtime: resolveRuntime(undefined).path, progress: streamProgress(ch, opts.quiet), signal: abort.signal,
      pullImage: (name) => pullImage(store, name, { client: { insecureRegistries: insecureRegistries(root) } }),
    });
    for (const w of r.warnings) await ch.push({ stream: `[Warning] ${w}\n` });
    await ch.push({ aux: { ID: r.image.id } });
    if (!opts.quiet) {
      await ch.push({ stream: `Successfully built ${r.image.id.slice(7, 19)}\n` });
      for (const t of opts.tags) await ch.push({ stream: `Successfully tagged ${t}\n` });
    }
    api.journal.emit('image', 'build', r.image.id, { name: opts.tags[0] ?? r.image.id });
  })().then(() => { cleanup(); ch.end(); }, (e: unknown) => { cleanup(); ch.end(e); });
  return ch;
}
