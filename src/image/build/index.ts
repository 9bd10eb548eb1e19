// `berth build`. The pure half: Dockerfile parsing, variable substitution, the stage plan,
// .dockerignore and cache keys. The executor (executor.ts, docs/build.md) runs the plan on these.

export type * from './ast.js';
export { parseDockerfile, parseJsonArray, type ParseOptions } from './parser.js';
export { expandWord, expandWords, expandHeredoc, splitRawWords, lookupIn, ExpandError, type Lookup, type ExpandOptions } from './expand.js';
export {
  planBuild, type BuildPlan, type PlanOptions, type PlannedStage, type PlannedStep, type StageBase, type SourceRef,
  type ImageConfigHint, type Pairs,
} from './stages.js';
export { parsePortSpec, splitUser, type PortSpec } from './substitute.js';
export { hostPlatform, formatPlatform, parsePlatform, platformArgs, PROXY_ARGS, type Platform } from './platform.js';
export {
  parseDockerignore, readDockerignore, PatternMatcher, Pattern, walkContext, cleanPath, type ContextEntry, type WalkOptions,
} from './dockerignore.js';
export {
  stepKey, canonicalInstruction, ContextSnapshot, contextInputsDigest, stepInputsDigest, selectEntries, cleanSource, sha256,
  stableStringify, type InputsOptions,
} from './cache-key.js';
export { build, type BuildOptions, type BuildResult } from './executor.js';
export { plainBuildProgress, ttyBuildProgress, silentBuildProgress, type BuildProgress, type StepInfo, type StepHandle } from './build-progress.js';
