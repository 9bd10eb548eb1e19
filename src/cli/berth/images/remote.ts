// Registry verbs: pull, push, login, logout.

import { BerthError } from '../../../errors.js';
import { parsePlatform } from '../../../image/manifest.js';
import { progressFor } from '../../../image/progress.js';
import { familiarString, parseReference } from '../../../image/reference.js';
import type { ClientOptions } from '../../../image/registry/client.js';
import { RegistryClient } from '../../../image/registry/client.js';
import { getCredentials, insecureRegistries, removeCredentials, storeCredentials } from '../../../image/registry/credentials.js';
import { pullImage } from '../../../image/registry/pull.js';
import { pushImage } from '../../../image/registry/push.js';
import { openImageStore } from '../../../image/store.js';
import type { FlagSpecs } from '../../args.js';
import type { BerthCommand, GlobalOptions } from '../command.js';
import { out } from './print.js';

const TLS_FLAG: FlagSpecs = { 'tls-verify': { kind: 'bool', default: true } };

function clientOptions(g: GlobalOptions, registry: string, tlsVerify: boolean): Omit<ClientOptions, 'registry'> {
  const creds = getCredentials(g.root, registry);
  return { tlsVerify, insecureRegistries: insecureRegistries(g.root), ...(creds !== undefined ? { credentials: creds } : {}) };
}

export const pullCommand: BerthCommand = {
  summary: 'pull an image from a registry',
  usage: '[--platform os/arch[/variant]] [--tls-verify=false] [-q] NAME[:TAG|@DIGEST]',
  flags: { platform: { kind: 'string' }, quiet: { kind: 'bool', short: 'q' }, ...TLS_FLAG },
  async run(g, p) {
    const name = p.positionals[0];
    if (name === undefined) throw new BerthError('BERTH_EINVAL', 'pull: give an image name');
    const ref = parseReference(name);
    const store = openImageStore(g.root);
    const progress = progressFor(process.stderr, p.flags.quiet === true);
    const img = await pullImage(store, name, {
      progress,
      client: clientOptions(g, ref.domain, p.flags['tls-verify'] !== false),
      ...(typeof p.flags.platform === 'string' ? { platform: parsePlatform(p.flags.platform) } : {}),
    });
    if (p.flags.quiet === true) out(`${img.id}\n`);
    else out(`Status: Downloaded ${familiarString(ref)}\n${familiarString(ref)}\n`);
    return 0;
  },
};

export const pushCommand: BerthCommand = {
  summary: 'push an image to a registry',
  usage: '[--tls-verify=false] [-q] IMAGE [DESTINATION]',
  flags: { quiet: { kind: 'bool', short: 'q' }, 'chunk-size': { kind: 'int' }, ...TLS_FLAG },
  differences: 'an optional second argument pushes IMAGE under another name, as podman does; layers are pushed as stored (not recompressed)',
  async run(g, p) {
    const [src, dest] = p.positionals;
    if (src === undefined) throw new BerthError('BERTH_EINVAL', 'push: give an image');
    const store = openImageStore(g.root);
    const img = await store.resolve(src);
    const target = dest ?? src;
    const ref = parseReference(target);
    const progress = progressFor(process.stderr, p.flags.quiet === true);
    const r = await pushImage(store, img, target, {
      progress,
      client: clientOptions(g, ref.domain, p.flags['tls-verify'] !== false),
      ...(typeof p.flags['chunk-size'] === 'number' ? { chunkSize: p.flags['chunk-size'], alwaysChunk: true } : {}),
    });
    if (p.flags.quiet !== true) out(`${r.reference}@${r.digest}\n`);
    return 0;
  },
};

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

export const loginCommand: BerthCommand = {
  summary: 'log in to a registry (credentials stored with mode 0600)',
  usage: '[-u USER] [-p PASSWORD | --password-stdin] [--tls-verify=false] REGISTRY',
  flags: { username: { kind: 'string', short: 'u' }, password: { kind: 'string', short: 'p' }, 'password-stdin': { kind: 'bool' }, ...TLS_FLAG },
  differences: 'no interactive prompt: give --username and --password-stdin (or --password)',
  async run(g, p) {
    const registry = normalizeRegistry(p.positionals[0] ?? 'docker.io');
    const username = p.flags.username as string | undefined;
    let password = p.flags.password as string | undefined;
    if (p.flags['password-stdin'] === true) password = await readStdin();
    if (username === undefined || password === undefined || username === '') {
      throw new BerthError('BERTH_EINVAL', 'login: give --username and --password-stdin (berth does not prompt)');
    }
    const client = new RegistryClient({ registry, credentials: { username, password }, tlsVerify: p.flags['tls-verify'] !== false, insecureRegistries: insecureRegistries(g.root) });
    await client.login();
    await storeCredentials(g.root, registry, { username, password });
    out('Login Succeeded!\n');
    return 0;
  },
};

export const logoutCommand: BerthCommand = {
  summary: 'forget the credentials of a registry',
  usage: 'REGISTRY',
  flags: {},
  async run(g, p) {
    const registry = normalizeRegistry(p.positionals[0] ?? 'docker.io');
    const removed = await removeCredentials(g.root, registry);
    out(removed ? `Removed login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
    return 0;
  },
};

function normalizeRegistry(s: string): string {
  const host = s.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
