// How a build shows its steps. Plain lines (logs, CI, pipes): a line when a step starts, its RUN
// output as it comes, and a line with CACHED or the time taken. On a terminal: one line per step,
// redrawn in place with a running timer and the last few lines of output under the running step,
// which fold away when the step is done (the whole output of a failing step is printed).

export interface StepInfo {
  /** 1-based position among the stages this build runs. */
  stage: number;
  stages: number;
  stageName?: string;
  step: number;
  steps: number;
  text: string;
}

export interface StepHandle {
  output(chunk: Buffer): void;
  cached(): void;
  done(note?: string): void;
  failed(message: string, tail: readonly string[]): void;
}

export interface BuildProgress {
  step(info: StepInfo): StepHandle;
  /** A line that is not a step (warnings, the result). */
  line(text: string): void;
  close(): void;
}

export function stepLabel(i: StepInfo): string {
  const stage = `[stage ${i.stage}/${i.stages}${i.stageName === undefined ? '' : ` ${i.stageName}`}]`;
  const text = i.text.replace(/\s+/g, ' ').trim();
  return `${stage} STEP ${i.step}/${i.steps}: ${text.length > 200 ? `${text.slice(0, 197)}...` : text}`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export const silentBuildProgress: BuildProgress = {
  step: () => ({ output() {}, cached() {}, done() {}, failed() {} }),
  line() {},
  close() {},
};

/** Plain lines; RUN output is passed through as it arrives. */
export function plainBuildProgress(out: NodeJS.WritableStream): BuildProgress {
  return {
    step(info) {
      const label = stepLabel(info);
      const t0 = Date.now();
      let started = false;
      let atLineStart = true;
      const start = (): void => {
        if (!started) out.write(`${label}\n`);
        started = true;
      };
      return {
        output(chunk) {
          start();
          out.write(chunk);
          atLineStart = chunk.length === 0 ? atLineStart : chunk[chunk.length - 1] === 0x0a;
        },
        cached() {
          out.write(`${label} CACHED\n`);
          started = true;
        },
        done(note) {
          start();
          if (!atLineStart) out.write('\n');
          out.write(`--> ${note === undefined ? '' : `${note} `}${seconds(Date.now() - t0)}\n`);
        },
        failed(message) {
          start();
          if (!atLineStart) out.write('\n');
          out.write(`--> failed after ${seconds(Date.now() - t0)}: ${message}\n`);
        },
      };
    },
    line: (text) => void out.write(`${text}\n`),
    close() {},
  };
}

const SHOW_LINES = 6;

/** The compact live view for a terminal. */
export function ttyBuildProgress(out: NodeJS.WriteStream): BuildProgress {
  let drawn = 0;
  let current: { label: string; t0: number; lines: string[]; partial: string } | undefined;
  const width = (): number => Math.max(20, (out.columns || 80) - 1);
  const clip = (s: string): string => (s.length > width() ? s.slice(0, width()) : s);
  const erase = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    erase();
    if (current === undefined) return;
    const rows = [`\x1b[1m=> ${clip(current.label)}\x1b[0m ${seconds(Date.now() - current.t0)}`];
    const tail = [...current.lines, ...(current.partial === '' ? [] : [current.partial])].slice(-SHOW_LINES);
    for (const l of tail) rows.push(`\x1b[2m   ${clip(l.replace(/\r/g, '')).slice(0, width() - 3)}\x1b[0m`);
    out.write(`${rows.join('\n')}\n`);
    drawn = rows.length;
  };
  const timer = setInterval(() => { if (current !== undefined) draw(); }, 100);
  timer.unref();
  const finish = (text: string): void => {
    erase();
    current = undefined;
    out.write(`${text}\n`);
  };
  return {
    step(info) {
      const label = stepLabel(info);
      const all: string[] = [];
      current = { label, t0: Date.now(), lines: [], partial: '' };
      const mine = current;
      draw();
      return {
        output(chunk) {
          const parts = (mine.partial + chunk.toString('utf8')).split('\n');
          mine.partial = parts.pop() ?? '';
          mine.lines.push(...parts);
          all.push(...parts);
          if (mine.lines.length > SHOW_LINES) mine.lines.splice(0, mine.lines.length - SHOW_LINES);
        },
        cached: () => finish(`=> CACHED ${clip(label)}`),
        done: (note) => finish(`=> ${clip(label)} ${note === undefined ? '' : `${note} `}${seconds(Date.now() - mine.t0)}`),
        failed(message) {
          finish(`=> ERROR ${clip(label)} ${seconds(Date.now() - mine.t0)}`);
          const lines = [...all, ...(mine.partial === '' ? [] : [mine.partial])];
          for (const l of lines.slice(-40)) out.write(`   ${l}\n`);
          out.write(`   ${message}\n`);
        },
      };
    },
    line(text) {
      erase();
      out.write(`${text}\n`);
      draw();
    },
    close() {
      clearInterval(timer);
      erase();
    },
  };
}
