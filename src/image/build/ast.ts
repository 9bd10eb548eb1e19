// The typed shape of a parsed Dockerfile. The parser fills these with the text as written (variables
// not yet substituted: that needs the ARG/ENV state of the stage, which stages.ts tracks); the planner
// returns copies of the same types with the substitution done for the instructions Docker substitutes.

/** `# escape=` value: the only two Docker accepts. */
export type EscapeChar = '\\' | '`';

export interface Directives {
  readonly syntax?: string;
  readonly escape: EscapeChar;
  /** `# check=` is recorded but berth runs no build checks. */
  readonly check?: string;
}

/** Exec form (a JSON string array) or shell form (one string the shell will parse). */
export type CommandForm =
  | { readonly form: 'exec'; readonly args: readonly string[] }
  | { readonly form: 'shell'; readonly command: string };

export interface Heredoc {
  /** The delimiter word without quotes; for COPY/ADD it is also the name of the inline file. */
  readonly name: string;
  /** Body lines joined with `\n`, each line ending with `\n` (as a shell here-document delivers it). */
  readonly content: string;
  /** False when any part of the delimiter was quoted: `$VAR` stays literal in the body. */
  readonly expand: boolean;
  /** `<<-`: leading tabs were stripped from the body lines and the terminator. */
  readonly chomp: boolean;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** One `RUN --mount=` value. Strings may hold variables until planned. */
export interface Mount {
  readonly type: MountType;
  readonly target?: string;
  readonly source?: string;
  /** Stage name or index, image reference, or (unset) the build context. */
  readonly from?: string;
  readonly id?: string;
  readonly readonly: boolean;
  readonly sharing?: CacheSharing;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly required?: boolean;
  /** secret mounted as an environment variable. */
  readonly env?: string;
  /** tmpfs size in bytes. */
  readonly size?: number;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface ArgDecl {
  readonly name: string;
  /** Undefined: `ARG name` without a default. */
  readonly default?: string;
}

export interface HealthcheckOptions {
  /** Nanoseconds, as the image config stores them; undefined means the default. */
  readonly interval?: number;
  readonly timeout?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly retries?: number;
}

interface Base {
  /** First line of the instruction (1-based). */
  readonly line: number;
  /** Last line, including continuation lines and here-document bodies. */
  readonly endLine: number;
  /** The logical line as written (continuations joined), for history and messages. */
  readonly original: string;
}

export interface FromInstruction extends Base {
  readonly kind: 'FROM';
  readonly image: string;
  /** Lower-cased, as Docker compares stage names case-insensitively. */
  readonly stageName?: string;
  readonly platform?: string;
}
export interface RunInstruction extends Base {
  readonly kind: 'RUN';
  readonly command: CommandForm;
  readonly heredocs: readonly Heredoc[];
  readonly mounts: readonly Mount[];
  readonly network?: 'default' | 'none' | 'host';
  readonly security?: 'sandbox' | 'insecure';
  readonly devices: readonly string[];
}
export interface CmdInstruction extends Base { readonly kind: 'CMD'; readonly command: CommandForm }
export interface EntrypointInstruction extends Base { readonly kind: 'ENTRYPOINT'; readonly command: CommandForm }
export interface ShellInstruction extends Base { readonly kind: 'SHELL'; readonly shell: readonly string[] }
export interface EnvInstruction extends Base {
  readonly kind: 'ENV';
  readonly pairs: readonly KeyValue[];
  /** `ENV key value` (one pair, value is the rest of the line). */
  readonly legacy: boolean;
}
export interface LabelInstruction extends Base { readonly kind: 'LABEL'; readonly pairs: readonly KeyValue[] }
export interface MaintainerInstruction extends Base { readonly kind: 'MAINTAINER'; readonly author: string }
export interface ArgInstruction extends Base { readonly kind: 'ARG'; readonly args: readonly ArgDecl[] }
export interface ExposeInstruction extends Base {
  readonly kind: 'EXPOSE';
  /** Words as written; after planning, one word per port spec (`80`, `80/tcp`, `8000-8010/udp`). */
  readonly ports: readonly string[];
}

interface CopyLike extends Base {
  /** Paths as written (heredoc sources are in `heredocs`, not here). */
  readonly sources: readonly string[];
  readonly heredocs: readonly Heredoc[];
  readonly dest: string;
  /** Written in JSON form (paths may contain spaces). */
  readonly json: boolean;
  readonly chown?: string;
  readonly chmod?: string;
  readonly link: boolean;
  readonly exclude: readonly string[];
}
export interface CopyInstruction extends CopyLike {
  readonly kind: 'COPY';
  readonly from?: string;
  readonly parents: boolean;
}
export interface AddInstruction extends CopyLike {
  readonly kind: 'ADD';
  readonly checksum?: string;
  readonly keepGitDir: boolean;
  /** Undefined: Docker's default (local archives unpacked, remote ones not). */
  readonly unpack?: boolean;
}
export interface WorkdirInstruction extends Base { readonly kind: 'WORKDIR'; readonly path: string }
export interface UserInstruction extends Base {
  readonly kind: 'USER';
  /** `user`, `user:group`, `uid:gid` as written. */
  readonly user: string;
}
export interface VolumeInstruction extends Base {
  readonly kind: 'VOLUME';
  readonly paths: readonly string[];
  readonly json: boolean;
}
export interface StopsignalInstruction extends Base { readonly kind: 'STOPSIGNAL'; readonly signal: string }
export interface HealthcheckInstruction extends Base {
  readonly kind: 'HEALTHCHECK';
  readonly check:
    | { readonly type: 'NONE' }
    | ({ readonly type: 'CMD'; readonly command: CommandForm } & HealthcheckOptions);
}
export interface OnbuildInstruction extends Base {
  readonly kind: 'ONBUILD';
  /** The trigger text as stored in the image config's OnBuild list (never substituted here). */
  readonly expression: string;
  readonly trigger: Instruction;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction
  | EnvInstruction | LabelInstruction | MaintainerInstruction | ArgInstruction | ExposeInstruction
  | CopyInstruction | AddInstruction | WorkdirInstruction | UserInstruction | VolumeInstruction
  | StopsignalInstruction | HealthcheckInstruction | OnbuildInstruction;

export type InstructionKind = Instruction['kind'];

export interface Dockerfile {
  /** Name used in messages: `Dockerfile`, or the -f file's name. */
  readonly file: string;
  readonly directives: Directives;
  readonly instructions: readonly Instruction[];
}
