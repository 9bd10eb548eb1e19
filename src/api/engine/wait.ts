// `POST /containers/{id}/wait` with docker's conditions. This service's own exits and removals
// arrive as journal events (so `run --rm` answers the moment the container is gone); changes made
// elsewhere (the berth CLI, a monitor's cleanup) are seen by polling the record.
import { getContainer, type ContainerRecord } from '../../engine/records.js';
import { reconcile } from '../../engine/state.js';
import type { WaitCondition } from '../backend.js';
import type { ContainerWaitResponse } from '../types.js';
import { isLive } from './lifecycle.js';
import type { EngineApi } from './state.js';

const POLL_MS = 100;
const RECONCILE_EVERY = 10;

export async function wait(api: EngineApi, ref: string, condition: WaitCondition, signal: AbortSignal): Promise<{ done: Promise<ContainerWaitResponse> }> {
  const rec = await api.find(ref);
  const id = rec.id;
  let exitCode = rec.exitCode;
  const startFinished = rec.finishedAt;
  let sawDie = false;
  let sawDestroy = false;
  const reply = (): ContainerWaitResponse => ({ StatusCode: exitCode, Error: null });

  const satisfied = (cur: ContainerRecord | undefined): boolean => {
    if (cur !== undefined && !isLive(cur)) exitCode = cur.exitCode;
    switch (condition) {
      case 'removed': return sawDestroy || cur === undefined;
      case 'next-exit': return sawDie || cur === undefined || (cur.state === 'exited' && cur.finishedAt !== startFinished && cur.finishedAt !== null);
      default: return sawDie || cur === undefined || !isLive(cur);
    }
  };

  if (condition === 'not-running' && !isLive(rec)) return { done: Promise.resolve(reply()) };

  const done = new Promise<ContainerWaitResponse>((resolve, reject) => {
    let polls = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => { untap(); clearTimeout(timer); signal.removeEventListener('abort', onAbort); resolve(reply()); };
    const onAbort = (): void => { untap(); clearTimeout(timer); reject(new Error('the client went away')); };
    const untap = api.journal.tap((e) => {
      if (e.Type !== 'container' || e.Actor.ID !== id) return;
      if (e.Action === 'die') {
        sawDie = true;
        const c = Number(e.Actor.Attributes.exitCode);
        if (Number.isInteger(c)) exitCode = c;
      } else if (e.Action === 'destroy') sawDestroy = true;
      else return;
      if (satisfied(getContainer(api.engine.db, id))) finish();
    });
    signal.addEventListener('abort', onAbort, { once: true });
    const poll = async (): Promise<void> => {
      let cur = getContainer(api.engine.db, id);
      // Now and then the record is reconciled, for a monitor that died without telling anyone.
      if (cur !== undefined && ++polls % RECONCILE_EVERY === 0) cur = await reconcile(api.engine, cur).catch(() => cur);
      if (signal.aborted) return;
      if (satisfied(cur)) finish();
      else timer = setTimeout(() => void poll(), POLL_MS);
    };
    timer = setTimeout(() => void poll(), POLL_MS);
  });
  done.catch(() => undefined);
  return { done };
}
