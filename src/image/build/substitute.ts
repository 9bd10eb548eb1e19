// Variable substitution per instruction, where Docker's builder does it: ADD COPY ENV EXPOSE FROM
// LABEL STOPSIGNAL USER VOLUME WORKDIR (and RUN --mount options). RUN/CMD/ENTRYPOINT commands are left
// for the shell; ONBUILD triggers are substituted only when they fire in a later build.

import type { Heredoc, Instruction, Mount } from './ast.js';
import { expandHeredoc, expandWord, expandWords, type ExpandOptions, type Lookup } from './expand.js';

export class SubstituteError extends Error {}

export interface PortSpec {
  readonly start: number;
  readonly end: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
}

export function substituteInstruction(ins: Instruction, lookup: Lookup, opts: ExpandOptions): Instruction {
  const w = (s: string): string => expandWord(s, lookup, opts);
  const ow = (s: string | undefined): { v?: string } => (s === undefined ? {} : { v: w(s) });
  switch (ins.kind) {
    case 'ENV':
    case 'LABEL': {
      // Every pair sees the values from before this instruction (`ENV a=1 b=$a` gives b the old a).
      const pairs = ins.pairs.map((p) => ({ key: w(p.key), value: w(p.value) }));
      if (pairs.some((p) => p.key === '')) throw new SubstituteError(`${ins.kind} names can not be blank`);
      return { ...ins, pairs };
    }
    case 'EXPOSE':
      return { ...ins, ports: ins.ports.flatMap((p) => expandWords(p, lookup, opts)) };
    case 'COPY':
    case 'ADD': {
      const heredocs: Heredoc[] = ins.heredocs.map((h) => (h.expand ? { ...h, content: expandHeredoc(h.content, lookup, opts) } : h));
      const base = {
        ...ins, sources: ins.sources.map(w), dest: w(ins.dest), heredocs, exclude: ins.exclude.map(w),
        ...rename('chown', ow(ins.chown)), ...rename('chmod', ow(ins.chmod)),
      };
      if (base.chmod !== undefined && !validChmod(base.chmod)) throw new SubstituteError(`invalid chmod value: ${base.chmod}`);
      if (ins.kind === 'COPY') return { ...base, kind: 'COPY', parents: ins.parents, ...rename('from', ow(ins.from)) };
      return { ...(base as typeof base & { kind: 'ADD' }), ...rename('checksum', ow(ins.checksum)) };
    }
    case 'WORKDIR': {
      const path = w(ins.path);
      if (path === '') throw new SubstituteError('WORKDIR requires exactly one argument');
      return { ...ins, path };
    }
    case 'USER': {
      const user = w(ins.user);
      if (user === '') throw new SubstituteError('USER requires exactly one argument');
      return { ...ins, user };
    }
    case 'VOLUME': {
      const paths = ins.paths.map(w);
      if (paths.some((p) => p.trim() === '')) throw new SubstituteError('VOLUME specified can not be an empty string');
      return { ...ins, paths };
    }
    case 'STOPSIGNAL': {
      const signal = w(ins.signal);
      if (!/^(?:[0-9]+|(?:SIG)?[A-Z][A-Z0-9]*(?:[+-][0-9]+)?)$/i.test(signal)) throw new SubstituteError(`invalid signal: ${signal}`);
      return { ...ins, signal };
    }
    case 'RUN':
      return { ...ins, mounts: ins.mounts.map((m) => substituteMount(m, w)) };
    default:
      return ins;
  }
}

function substituteMount(m: Mount, w: (s: string) => string): Mount {
  const out: { -readonly [K in keyof Mount]: Mount[K] } = { ...m };
  for (const k of ['target', 'source', 'from', 'id', 'env'] as const) {
    const v = m[k];
    if (v !== undefined) out[k] = w(v);
  }
  // Docker's defaults: a cache is named by its target, a secret by its target's base name.
  if (out.type === 'cache' && out.id === undefined) out.id = out.target;
  if (out.type === 'secret' && out.id === undefined && out.target !== undefined) out.id = out.target.split('/').filter(Boolean).pop();
  if (out.type === 'secret' && out.target === undefined && out.env === undefined) out.target = `/run/secrets/${out.id ?? ''}`;
  return out;
}

function rename<K extends string>(key: K, o: { v?: string }): { [P in K]?: string } {
  return (o.v === undefined ? {} : { [key]: o.v }) as { [P in K]?: string };
}

const SYMBOLIC_CLAUSE = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$/;

function validChmod(v: string): boolean {
  return /^[0-7]{1,4}$/.test(v) || v.split(',').every((c) => SYMBOLIC_CLAUSE.test(c));
}

/** `80`, `80/tcp`, `53/udp`, `8000-8010/tcp` → port specs (protocol defaults to tcp). */
export function parsePortSpec(text: string): PortSpec {
  const m = /^([0-9]+)(?:-([0-9]+))?(?:\/([A-Za-z]+))?$/.exec(text);
  const protocol = (m?.[3] ?? 'tcp').toLowerCase();
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || !(start >= 1 && end <= 65535 && start <= end)) throw new SubstituteError(`invalid port: ${text}`);
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw new SubstituteError(`invalid protocol in port ${text}`);
  return { start, end, protocol };
}

/** `user`, `user:group`, `1000:1000`. */
export function splitUser(spec: string): { user: string; group?: string } {
  const i = spec.indexOf(':');
  return i < 0 ? { user: spec } : { user: spec.slice(0, i), group: spec.slice(i + 1) };
}
