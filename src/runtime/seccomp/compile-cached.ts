// compileSeccomp, remembered by the profile's JSON text. One process compiles one container's
// profile, so the cache pays off only when it is filled before the process starts: bin/berth's
// V8 startup snapshot compiles the engine's default profile (docker's default capabilities) at
// build time, and a default `berth run` then finds its filter ready instead of spending ~5 ms of
// cold JavaScript on it. Warnings are kept and replayed, so a hit says what a compile would.
import { compileSeccomp } from './compile.js';
import type { CompileOptions, CompiledSeccomp, SeccompSpec } from './types.js';

interface Entry {
  compiled: CompiledSeccomp;
  warnings: string[];
}

const MAX_ENTRIES = 4;
const cache = new Map<string, Entry>();

export function compileSeccompCached(section: SeccompSpec, opts: CompileOptions = {}): CompiledSeccomp {
  // another architecture than the host's is a test's or a tool's question: not remembered
  if (opts.nativeArch !== undefined) return compileSeccomp(section, opts);
  const key = JSON.stringify(section);
  let entry = cache.get(key);
  if (entry === undefined) {
    const warnings: string[] = [];
    entry = { compiled: compileSeccomp(section, { ...opts, onWarning: (w) => warnings.push(w) }), warnings };
    if (cache.size < MAX_ENTRIES) cache.set(key, entry);
  }
  for (const w of entry.warnings) opts.onWarning?.(w);
  // a copy: the caller's program is its own to change
  return { ...entry.compiled, program: Buffer.from(entry.compiled.program) };
}

/** For tests: how many profiles are remembered. */
export function cachedProfiles(): number {
  return cache.size;
}
