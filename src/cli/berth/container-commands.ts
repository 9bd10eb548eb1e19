// Container, volume and system verbs of `berth` (the engine issue). verb → lazily loaded command.
import type { CommandTable } from './command.js';

export const containerCommands: CommandTable = {};
