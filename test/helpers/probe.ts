// One container run answers many questions: the script prints `key=value` per probe, and each
// test asserts one key. Probe commands are shell snippets; their stderr is folded into the value.

export function probeScript(probes: Record<string, string>): string {
  return Object.entries(probes)
    .map(([key, cmd]) => {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) throw new Error(`probe key "${key}" is not an identifier`);
      return `printf '%s=%s\\n' ${key} "$( { ${cmd} ; } 2>&1 | tr '\\n' ' ')"`;
    })
    .join('\n');
}

export function parseProbe(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return values;
}

/** The value of a probe; a missing key means the script did not get that far. */
export function probeValue(values: Map<string, string>, key: string): string {
  const v = values.get(key);
  if (v === undefined) throw new Error(`probe "${key}" printed nothing (keys: ${[...values.keys()].join(', ')})`);
  return v;
}
