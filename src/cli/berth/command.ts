// What a `berth` verb is: its flags, its help, and a handler that returns an exit code.
// Handlers do the work through the engine and print through output.ts.
import type { FlagSpecs, Parsed } from '../args.js';

export interface GlobalOptions {
  /** Storage root (default /var/lib/berth). */
  root: string;
  /** Run root for sockets, netns, runtime state (default /run/berth). */
  runRoot: string;
  debug: boolean;
}

export interface BerthCommand {
  summary: string;
  usage: string;
  flags: FlagSpecs;
  /** Stop parsing flags at the first positional (`run IMAGE CMD -x` passes -x to the container). */
  stopAtPositional?: boolean;
  /** Where berth differs from docker for this verb, shown in --help. */
  differences?: string;
  run(g: GlobalOptions, p: Parsed): Promise<number>;
}

export type CommandTable = Record<string, () => Promise<BerthCommand>>;
