// Registry credentials in docker's auth.json shape ({"auths": {"host": {"auth": base64(user:pass)}}}),
// in <storage root>/auth.json for root and ~/.config/berth/auth.json otherwise ($BERTH_AUTH_FILE
// wins). Written to a temporary name with mode 0600 and renamed, so it is never readable by others,
// not even for a moment. The insecure-registries list lives beside it, in registries.json.

import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, open, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthError } from '../../errors.js';

export interface Credentials {
  username: string;
  password: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

export function configDir(root: string): string {
  return process.getuid?.() === 0 ? root : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'berth');
}

export function authFilePath(root: string): string {
  return process.env.BERTH_AUTH_FILE ?? join(configDir(root), 'auth.json');
}

/** Docker Hub is stored under its historical key, as docker does. */
export function authKey(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? 'https://index.docker.io/v1/' : registry;
}

function readAuthFile(path: string): AuthFile {
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as AuthFile) : {};
  } catch (e) {
    throw new BerthError('BERTH_EAUTH', `${path} is not valid JSON`, { cause: e });
  }
}

export function getCredentials(root: string, registry: string): Credentials | undefined {
  const e = readAuthFile(authFilePath(root)).auths?.[authKey(registry)];
  if (e === undefined) return undefined;
  if (typeof e.auth === 'string' && e.auth !== '') {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
  }
  if (typeof e.username === 'string' && typeof e.password === 'string') return { username: e.username, password: e.password };
  return undefined;
}

async function writeAuthFile(path: string, data: AuthFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(data, null, '\t') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function storeCredentials(root: string, registry: string, c: Credentials): Promise<string> {
  const path = authFilePath(root);
  const data = readAuthFile(path);
  data.auths = { ...(data.auths ?? {}), [authKey(registry)]: { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') } };
  await writeAuthFile(path, data);
  return path;
}

/** True when there was something to remove. */
export async function removeCredentials(root: string, registry: string): Promise<boolean> {
  const path = authFilePath(root);
  const data = readAuthFile(path);
  const key = authKey(registry);
  if (data.auths?.[key] === undefined) return false;
  delete data.auths[key];
  await writeAuthFile(path, data);
  return true;
}

/** Registries to reach over plain http or without TLS checks: registries.json {"insecure": [...]} and $BERTH_INSECURE_REGISTRIES. */
export function insecureRegistries(root: string): string[] {
  const out = (process.env.BERTH_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const file = join(configDir(root), 'registries.json');
  if (existsSync(file)) {
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as { insecure?: unknown };
      if (Array.isArray(v.insecure)) out.push(...v.insecure.filter((s): s is string => typeof s === 'string'));
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `${file} is not valid JSON`, { cause: e });
    }
  }
  return out;
}
