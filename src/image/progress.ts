// Progress of pulls, pushes and loads. On a terminal each item (a layer) has a line with a bar,
// redrawn in place at most ten times a second; otherwise each item prints one plain line when it
// starts and one when it is done, so logs and CI output stay readable.

export interface ProgressItem {
  advance(bytes: number): void;
  status(text: string): void;
  done(text: string): void;
}

export interface Progress {
  item(id: string, label: string, total?: number): ProgressItem;
  line(text: string): void;
  close(): void;
}

const quietItem: ProgressItem = { advance() {}, status() {}, done() {} };

export const silentProgress: Progress = { item: () => quietItem, line() {}, close() {} };

export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${units[i]}`;
}

/** Plain lines: the start and the end of each item. */
export function lineProgress(out: NodeJS.WritableStream): Progress {
  return {
    item(id, label) {
      out.write(`${id}: ${label}\n`);
      return { advance() {}, status() {}, done: (text) => void out.write(`${id}: ${text}\n`) };
    },
    line: (text) => void out.write(`${text}\n`),
    close() {},
  };
}

interface Row { id: string; text: string; total?: number; cur: number; done: boolean }

/** One redrawn line per item, with a bar when the total is known. */
export function barProgress(out: NodeJS.WriteStream): Progress {
  const rows: Row[] = [];
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const width = (): number => Math.max(20, Math.min(out.columns ?? 80, 120));
  const render = (r: Row): string => {
    let s = `${r.id}: ${r.text}`;
    if (!r.done && r.total !== undefined && r.total > 0) {
      const w = 30;
      const f = Math.min(w, Math.floor((r.cur / r.total) * w));
      s += ` [${'='.repeat(Math.max(0, f - 1))}${f > 0 ? '>' : ''}${' '.repeat(w - f)}] ${humanSize(r.cur)}/${humanSize(r.total)}`;
    } else if (!r.done && r.cur > 0) s += ` ${humanSize(r.cur)}`;
    return s.slice(0, width() - 1);
  };
  const draw = (): void => {
    timer = undefined;
    let s = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const r of rows) s += `\r\x1b[2K${render(r)}\n`;
    drawn = rows.length;
    out.write(s);
  };
  const schedule = (): void => {
    timer ??= setTimeout(draw, 100);
  };
  return {
    item(id, label, total) {
      const r: Row = { id, text: label, cur: 0, done: false };
      if (total !== undefined) r.total = total;
      rows.push(r);
      schedule();
      return {
        advance: (n) => { r.cur += n; schedule(); },
        status: (t) => { r.text = t; schedule(); },
        done: (t) => { r.text = t; r.done = true; schedule(); },
      };
    },
    line(text) {
      if (timer !== undefined) {
        clearTimeout(timer);
        draw();
      }
      out.write(`${text}\n`);
      drawn = 0;
      rows.splice(0, rows.length, ...rows.filter((r) => !r.done));
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      if (rows.length > 0) draw();
    },
  };
}

export function progressFor(out: NodeJS.WriteStream, quiet = false): Progress {
  if (quiet) return silentProgress;
  return out.isTTY === true ? barProgress(out) : lineProgress(out);
}
