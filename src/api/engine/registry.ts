// Pull and push over the API: the registry client's progress callbacks (one item per layer) become
// docker's JSON progress lines ({"status":"Downloading","id":"a3ed95caeb02","progressDetail":…}).
import { BerthError } from '../../errors.js';
import { parsePlatform } from '../../image/manifest.js';
import type { Progress, ProgressItem } from '../../image/progress.js';
import { familiarName, familiarString, parseReference } from '../../image/reference.js';
import type { ClientOptions } from '../../image/registry/client.js';
import { getCredentials, insecureRegistries } from '../../image/registry/credentials.js';
import { pullImage } from '../../image/registry/pull.js';
import { pushImage } from '../../image/registry/push.js';
import type { ApiStream, PullOptions } from '../backend.js';
import { Channel } from '../channel.js';
import type { ProgressMessage, RegistryAuth } from '../types.js';
import { imageStore, resolveImage } from './images.js';
import type { EngineApi } from './state.js';

const MIN_GAP_MS = 100;

function bar(cur: number, total: number): string {
  const w = 50;
  const f = total > 0 ? Math.min(w, Math.floor((cur / total) * w)) : 0;
  const size = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`);
  return `[${'='.repeat(Math.max(0, f - 1))}${f > 0 ? '>' : ''}${' '.repeat(w - f)}] ${size(cur)}/${size(total)}`;
}

/** A Progress that pushes docker progress lines into `ch`; byte counts at most ten times a second. */
export function progressToChannel(ch: Channel<ProgressMessage>, verb: 'Downloading' | 'Pushing', lines: (text: string) => ProgressMessage | undefined): Progress {
  return {
    item(id: string, label: string, total?: number): ProgressItem {
      let cur = 0;
      let last = 0;
      void ch.push({ status: label, id });
      return {
        advance(n) {
          cur += n;
          const now = Date.now();
          if (now - last < MIN_GAP_MS && (total === undefined || cur < total)) return;
          last = now;
          void ch.push({ status: verb, id, progressDetail: { current: cur, ...(total !== undefined ? { total } : {}) }, ...(total !== undefined ? { progress: bar(cur, total) } : {}) });
        },
        status(text) { void ch.push({ status: text, id, progressDetail: {} }); },
        done(text) { void ch.push({ status: text, id, progressDetail: {} }); },
      };
    },
    line(text) { const m = lines(text); if (m !== undefined) void ch.push(m); },
    close() {},
  };
}

function clientOptions(api: EngineApi, registry: string, auth: RegistryAuth | undefined): Omit<ClientOptions, 'registry'> {
  const creds = auth?.username !== undefined && auth.username !== '' && auth.password !== undefined
    ? { username: auth.username, password: auth.password }
    : getCredentials(api.engine.paths.root, registry);
  return { insecureRegistries: insecureRegistries(api.engine.paths.root), ...(creds !== undefined ? { credentials: creds } : {}) };
}

/** Runs `work` and ends the channel with its error, which the server turns into an errorDetail line. */
function run(ch: Channel<ProgressMessage>, work: () => Promise<void>): void {
  void work().then(() => ch.end(), (e: unknown) => ch.end(e));
}

export async function pull(api: EngineApi, opts: PullOptions): Promise<ApiStream<ProgressMessage>> {
  const name = opts.tag !== undefined && opts.tag !== '' && !opts.fromImage.includes('@')
    ? `${opts.fromImage}:${opts.tag}` : opts.fromImage;
  const ref = parseReference(name);
  const shown = familiarString(ref);
  const ch = new Channel<ProgressMessage>(256);
  const tagShown = ref.digest ?? ref.tag ?? 'latest';
  void ch.push({ status: `Pulling from ${familiarName(ref)}`, id: tagShown });
  const progress = progressToChannel(ch, 'Downloading', (text) => (text.startsWith('Digest: ') ? { status: text } : undefined));
  run(ch, async () => {
    const before = imageStore(api).lookup(name);
    const img = await pullImage(imageStore(api), name, {
      progress, client: clientOptions(api, ref.domain, opts.auth),
      ...(opts.platform !== undefined ? { platform: parsePlatform(opts.platform) } : {}),
    });
    const fresh = before?.id !== img.id;
    await ch.push({ status: fresh ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}` });
    api.journal.emit('image', 'pull', shown, { name: shown });
  });
  return ch;
}

export async function push(api: EngineApi, name: string, opts: { tag?: string; auth?: RegistryAuth }): Promise<ApiStream<ProgressMessage>> {
  const target = opts.tag !== undefined && opts.tag !== '' ? `${name}:${opts.tag}` : name;
  const img = await resolveImage(api, target);
  const ref = parseReference(target);
  if (ref.digest !== undefined) throw new BerthError('BERTH_EINVAL', 'cannot push a digest reference');
  const ch = new Channel<ProgressMessage>(256);
  void ch.push({ status: `The push refers to repository [${ref.name}]` });
  const progress = progressToChannel(ch, 'Pushing', () => undefined);
  run(ch, async () => {
    const r = await pushImage(imageStore(api), img, target, { progress, client: clientOptions(api, ref.domain, opts.auth) });
    const size = img.size;
    await ch.push({ status: `${ref.tag ?? 'latest'}: digest: ${r.digest} size: ${size}` });
    await ch.push({ progressDetail: {}, aux: { Tag: ref.tag ?? 'latest', Digest: r.digest, Size: size } });
    api.journal.emit('image', 'push', img.id, { name: familiarString(ref) });
  });
  return ch;
}
