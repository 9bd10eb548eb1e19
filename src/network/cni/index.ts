// The CNI client's public surface.
export * from './types.js';
export { parseConfList, parseConfListText, loadConfListFile } from './conflist-load.js';
export { toResult100, parseVersionInfo, asCniError, cniErrorMeaning, ResultFormatError } from './result.js';
export { ResultCache, type CacheEntry } from './cache.js';
export { CniClient, checkCniArgs, DEFAULT_CACHE_DIR, DEFAULT_PLUGIN_DIRS, DEFAULT_TIMEOUT_MS, type Attachment, type CniClientOptions } from './client.js';
