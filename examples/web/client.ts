// The UI thread's side of protocol.ts: `call(type, req, onEvent)` posts one request to the worker and
// resolves with its answer (rejects with its error), passing training events on as they come.
import type { FromWorker, Requests, RequestType, ToWorker, TrainEvent } from './protocol.js';

export type Call = <K extends RequestType>(
  type: K,
  req: Requests[K]['req'],
  onEvent?: (e: TrainEvent) => void,
) => Promise<Requests[K]['res']>;

export function connect(worker: Worker): Call {
  let next = 1;
  const pending = new Map<
    number,
    { resolve: (r: unknown) => void; reject: (e: Error) => void; onEvent?: (e: TrainEvent) => void }
  >();
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.kind === 'done') {
      pending.delete(m.id);
      p.resolve(m.result);
    } else if (m.kind === 'error') {
      pending.delete(m.id);
      p.reject(new Error(m.error));
    } else p.onEvent?.(m);
  };
  worker.onerror = (e) => {
    // a worker that fails to load (a missing bundle, a syntax error) fails every pending call
    const err = new Error(`worker failed: ${e.message || 'could not load worker.js'}`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  return (type, req, onEvent) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (r: unknown) => void, reject, onEvent });
      const transfer = type === 'inspect' ? [(req as Requests['inspect']['req']).bytes] : [];
      worker.postMessage({ id, type, ...req } as ToWorker, transfer);
    });
}
