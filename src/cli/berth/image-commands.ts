// Image verbs of `berth` (the images issue). verb → lazily loaded command.
import type { CommandTable } from './command.js';

const local = () => import('./images/local.js');
const archive = () => import('./images/archive.js');
const remote = () => import('./images/remote.js');

export const imageCommands: CommandTable = {
  images: async () => (await local()).imagesCommand,
  'image inspect': async () => (await local()).inspectCommand,
  rmi: async () => (await local()).rmiCommand,
  tag: async () => (await local()).tagCommand,
  'image tag': async () => (await local()).tagCommand,
  'image-prune': async () => (await local()).pruneCommand,
  'system df': async () => (await local()).dfCommand,
  load: async () => (await archive()).loadCommand,
  'image load': async () => (await archive()).loadCommand,
  save: async () => (await archive()).saveCommand,
  'image save': async () => (await archive()).saveCommand,
  import: async () => (await archive()).importCommand,
  'image import': async () => (await archive()).importCommand,
  pull: async () => (await remote()).pullCommand,
  'image pull': async () => (await remote()).pullCommand,
  push: async () => (await remote()).pushCommand,
  'image push': async () => (await remote()).pushCommand,
  login: async () => (await remote()).loginCommand,
  logout: async () => (await remote()).logoutCommand,
};
