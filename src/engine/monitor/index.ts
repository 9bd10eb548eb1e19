// The engine's interface to berth-monitor, the per-container monitor process.
export { findMonitorBinary, MONITOR_ENV } from './locate.js';
export { buildMonitorArgs, controlSocketPath, type CommandSpec, type MonitorOptions } from './options.js';
export { spawnMonitor, spawnMonitorWithHelper, parseSyncLine, type HelperMonitor, type MonitorHandle, type SpawnMonitorOptions } from './spawn.js';
export { readExitFile, parseExitRecord, type ExitRecord } from './exit-file.js';
export { readLogs, parseLogLine, rotatedFiles, timeNanos, type LogEntry, type ReadLogsOptions } from './logs.js';
export { attachClient, sendControl, resizeTerminal, closeStdin, FrameDecoder, type AttachFrame, type AttachSession, type StreamName } from './attach.js';
