// Instructions that only change the image config, and the history text of every instruction.
// Docker's rules: ENTRYPOINT resets a CMD inherited from the base (not one set in the same stage),
// HEALTHCHECK durations are nanoseconds, ONBUILD triggers are stored as written, ARG changes nothing.

import type { CommandForm, HealthcheckInstruction, Instruction } from './ast.js';
import type { ConfigDoc } from './image-state.js';
import type { PlannedStep } from './stages.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export function shellOf(config: Record<string, unknown>): string[] {
  const s = config.Shell;
  return Array.isArray(s) && s.length > 0 ? (s as string[]) : [...DEFAULT_SHELL];
}

export function commandArgs(cmd: CommandForm, shell: readonly string[]): string[] {
  return cmd.form === 'exec' ? [...cmd.args] : [...shell, cmd.command];
}

const envList = (env: PlannedStep['env']): string[] => env.map(([k, v]) => `${k}=${v}`);

export interface StageFlags {
  /** A CMD was given in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

function healthcheck(ins: HealthcheckInstruction, shell: readonly string[]): Record<string, unknown> {
  if (ins.check.type === 'NONE') return { Test: ['NONE'] };
  const c = ins.check;
  const test = c.command.form === 'exec' ? ['CMD', ...c.command.args] : ['CMD-SHELL', c.command.command];
  void shell;
  return {
    Test: test,
    ...(c.interval === undefined ? {} : { Interval: c.interval }),
    ...(c.timeout === undefined ? {} : { Timeout: c.timeout }),
    ...(c.startPeriod === undefined ? {} : { StartPeriod: c.startPeriod }),
    ...(c.startInterval === undefined ? {} : { StartInterval: c.startInterval }),
    ...(c.retries === undefined ? {} : { Retries: c.retries }),
  };
}

/** Applies a config-only instruction to the document (mutating it). Returns false for other kinds. */
export function applyConfigStep(doc: ConfigDoc, step: PlannedStep, flags: StageFlags): boolean {
  const ins = step.instruction;
  const c = doc.config;
  const shell = shellOf(c);
  switch (ins.kind) {
    case 'ENV':
      c.Env = envList(step.env);
      return true;
    case 'USER':
      c.User = ins.user;
      return true;
    case 'EXPOSE': {
      const ports = { ...((c.ExposedPorts as Record<string, object> | undefined) ?? {}) };
      for (const p of step.ports ?? []) for (let n = p.start; n <= p.end; n++) ports[`${n}/${p.protocol}`] = {};
      c.ExposedPorts = ports;
      return true;
    }
    case 'LABEL': {
      const labels = { ...((c.Labels as Record<string, string> | undefined) ?? {}) };
      for (const p of ins.pairs) labels[p.key] = p.value;
      c.Labels = labels;
      return true;
    }
    case 'CMD':
      c.Cmd = commandArgs(ins.command, shell);
      flags.cmdSet = true;
      return true;
    case 'ENTRYPOINT':
      c.Entrypoint = commandArgs(ins.command, shell);
      if (!flags.cmdSet) c.Cmd = null;
      return true;
    case 'VOLUME': {
      const vols = { ...((c.Volumes as Record<string, object> | undefined) ?? {}) };
      for (const p of ins.paths) vols[p] = {};
      c.Volumes = vols;
      return true;
    }
    case 'SHELL':
      c.Shell = [...ins.shell];
      return true;
    case 'STOPSIGNAL':
      c.StopSignal = ins.signal;
      return true;
    case 'HEALTHCHECK':
      c.Healthcheck = healthcheck(ins, shell);
      return true;
    case 'ONBUILD':
      c.OnBuild = [...((c.OnBuild as string[] | undefined) ?? []), ins.expression];
      return true;
    case 'MAINTAINER':
      doc.author = ins.author;
      return true;
    case 'ARG':
      return true;
    default:
      return false;
  }
}

/** `created_by` of the history entry, as BuildKit writes it (without its "# buildkit" suffix). */
export function createdBy(step: PlannedStep, config: Record<string, unknown>, proxyArgNames: ReadonlySet<string>): string {
  const ins: Instruction = step.instruction;
  if (ins.kind === 'RUN') {
    const args = step.args.filter(([k]) => !proxyArgNames.has(k));
    const prefix = args.length === 0 ? '' : `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(' ')} `;
    const heredocs = ins.heredocs.map((h) => `\n${h.content}${h.name}`).join('');
    const cmd = ins.command.form === 'exec' ? JSON.stringify(ins.command.args) : `${shellOf(config).join(' ')} ${ins.command.command}${heredocs}`;
    return `RUN ${prefix}${cmd}`;
  }
  if (ins.kind === 'ENV') return `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
  if (ins.kind === 'LABEL') return `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
  if (ins.kind === 'WORKDIR') return `WORKDIR ${step.workdir}`;
  if (ins.kind === 'CMD' || ins.kind === 'ENTRYPOINT') return `${ins.kind} ${JSON.stringify(commandArgs(ins.command, shellOf(config)))}`;
  return ins.original.replace(/\s+/g, ' ').trim();
}

/** Instructions that record a history entry (ARG and FROM do not, as with BuildKit). */
export function hasHistory(ins: Instruction): boolean {
  return ins.kind !== 'ARG' && ins.kind !== 'FROM';
}
