import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, statusText } from './status-text.js';
import type { ContainerRecord } from './records.js';

test('humanDuration follows docker units.HumanDuration', () => {
  const h = 3600_000;
  assert.equal(humanDuration(400), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(61_000), 'About a minute');
  assert.equal(humanDuration(47 * h), '47 hours');
  assert.equal(humanDuration(72 * h), '3 days');
  assert.equal(humanDuration(24 * 20 * h), '3 weeks');
  assert.equal(humanDuration(24 * 90 * h), '3 months');
  assert.equal(humanDuration(24 * 365 * 3 * h), '3 years');
});

test('statusText: running with health, paused, exited with code and age', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const base = { createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:09:50Z', finishedAt: '2026-01-01T00:08:00Z', exitCode: 3, health: null };
  const rec = (r: object): ContainerRecord => ({ ...base, ...r }) as unknown as ContainerRecord;
  assert.equal(statusText(rec({ state: 'running' }), now), 'Up 10 seconds');
  assert.equal(statusText(rec({ state: 'running', health: { Status: 'starting' } }), now), 'Up 10 seconds (health: starting)');
  assert.equal(statusText(rec({ state: 'running', health: { Status: 'healthy' } }), now), 'Up 10 seconds (healthy)');
  assert.equal(statusText(rec({ state: 'paused' }), now), 'Up 10 seconds (Paused)');
  assert.equal(statusText(rec({ state: 'exited' }), now), 'Exited (3) 2 minutes ago');
  assert.equal(statusText(rec({ state: 'created' }), now), 'Created');
});
