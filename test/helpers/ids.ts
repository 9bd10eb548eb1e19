import { randomBytes } from 'node:crypto';

let counter = 0;

/** Unique across concurrent tests and concurrent test processes; valid as a runc container id. */
export function uniqueId(prefix = 't'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}
