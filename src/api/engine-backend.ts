// The ApiBackend over berth's engine, image store and networks. Not written yet: the engine and
// the image store are still landing. docs/api.md lists what each ApiBackend method maps to; until
// then `berth system service --backend fake` serves the in-memory fake.
import { BerthError } from '../errors.js';
import type { ApiBackend } from './backend.js';

export interface EngineBackendOptions { root: string; runRoot: string }

export async function openEngineBackend(_opts: EngineBackendOptions): Promise<ApiBackend> {
  throw new BerthError('BERTH_EUNSUPPORTED', 'the API server is not wired to the engine yet; run `berth system service --backend fake` to try clients against the in-memory fake');
}
