// Image verbs of `berth` (the images issue). verb → lazily loaded command.
import type { CommandTable } from './command.js';

export const imageCommands: CommandTable = {};
