#!/usr/bin/env node
// Turns hyperfine JSON exports and peak-RSS numbers into one markdown table (for the README).
// Usage: report.mjs RESULTS_DIR RUNTIME...
// RESULTS_DIR holds <bench>.json (hyperfine --export-json, one command per runtime, named by
// runtime), rss-<runtime>.txt (KiB) and skipped-<runtime>.txt (reason).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...runtimes] = process.argv.slice(2);
const BENCHES = [
  ['run', '`run` of /bin/true'],
  ['cycle', 'create + start + delete'],
  ['loop', '`run` × N in a row'],
];

const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : undefined);
const ms = (s) => (s * 1000 >= 100 ? (s * 1000).toFixed(0) : (s * 1000).toFixed(1));

const rows = [];
const header = ['benchmark', ...runtimes, 'berth/runc'];
for (const [key, label] of BENCHES) {
  const json = read(`${key}.json`);
  const results = json ? JSON.parse(json).results : [];
  const mean = (rt) => results.find((r) => r.command === rt)?.mean;
  const cells = runtimes.map((rt) => {
    const r = results.find((x) => x.command === rt);
    return r ? `${ms(r.mean)} ms ± ${ms(r.stddev ?? 0)}` : 'skipped';
  });
  const ratio = mean('berth-runtime') && mean('runc') ? `${(mean('berth-runtime') / mean('runc')).toFixed(2)}×` : 'n/a';
  rows.push([label.replace('N', read('loop-count') ?? 'N'), ...cells, ratio]);
}
const rss = (rt) => Number(read(`rss-${rt}.txt`) ?? NaN);
const rssCells = runtimes.map((rt) => (Number.isFinite(rss(rt)) ? `${(rss(rt) / 1024).toFixed(1)} MiB` : 'skipped'));
const rssRatio = Number.isFinite(rss('berth-runtime')) && Number.isFinite(rss('runc')) ? `${(rss('berth-runtime') / rss('runc')).toFixed(2)}×` : 'n/a';
rows.push(['peak RSS of the runtime (`run`)', ...rssCells, rssRatio]);

const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(line(header));
console.log(line(header.map(() => '---')));
for (const r of rows) console.log(line(r));
const skipped = runtimes.map((rt) => [rt, read(`skipped-${rt}.txt`)]).filter(([, why]) => why);
if (skipped.length > 0) {
  console.log('');
  for (const [rt, why] of skipped) console.log(`- ${rt} skipped: ${why}`);
}
