// Runs OCI hooks: each gets the container state as JSON on stdin, and fails the operation when it
// exits non-zero or outlives its timeout (config.md "POSIX-platform Hooks").
import { spawnSync } from 'node:child_process';
import { BerthError } from '../../errors.js';

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export function runHooks(phase: HookPhase, hooks: Hook[] | undefined, state: object): void {
  if (!hooks) return;
  const input = JSON.stringify(state);
  hooks.forEach((hook, index) => {
    const env: Record<string, string> = {};
    for (const kv of hook.env ?? []) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const args = hook.args ?? [hook.path];
    const result = spawnSync(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env,
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: hook.timeout && hook.timeout > 0 ? hook.timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
      maxBuffer: 1 << 20,
    });
    const where = `${phase} hook #${index} (${hook.path})`;
    const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
    // A hook may exit without reading the state; that is not a failure (runc ignores it too).
    if (result.error && code !== 'EPIPE') {
      if (code === 'ETIMEDOUT') throw new BerthError('BERTH_EHOOK', `${where}: timed out after ${hook.timeout}s`);
      throw new BerthError('BERTH_EHOOK', `${where}: ${result.error.message}`, { cause: result.error });
    }
    if (result.signal) throw new BerthError('BERTH_EHOOK', `${where}: killed by ${result.signal}`);
    if (result.status !== 0) {
      const stderr = result.stderr.toString().trim().split('\n').pop() ?? '';
      throw new BerthError('BERTH_EHOOK', `${where}: exit status ${result.status}${stderr ? `: ${stderr}` : ''}`);
    }
  });
}
