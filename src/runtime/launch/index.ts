// Starting container processes through berth-nsexec (native/), and the parent's part of it.
export { launchHelper, launchWithHelper, type ExternalHelper, type LaunchOptions, type Launched, type StdioEntry } from './launch-helper.js';
export { writeIdMappings, type IdMapping } from './id-maps.js';
export { locateHelper } from '../../sys/locate-helper.js';
