// The training batches of one epoch, from its start or from where an interrupted run stopped.
//
// Resuming inside an epoch must see the same batches in the same order and continue every random
// stream where it was. So the generators are first set back to their states at the epoch's start and
// the epoch's order is drawn again; then they are set to their states when the run stopped. A
// DataLoader draws its order up front (`epochIndices`) and starts at the next batch without making
// the skipped ones; any other iterable is iterated from its start and its first batches are dropped,
// which continues exactly when the iterable is deterministic given the generators' states.
import type { Generator } from '../../tensor/random.js';
import { type Batches, tensorsIn } from './batches.js';
import { setGeneratorStates, type EpochPosition } from './resume-state.js';

interface Resumable<B> {
  epochIndices(): Int32Array[];
  batchesFrom(batches: readonly Int32Array[], start: number): AsyncIterable<B>;
}
const resumable = <B>(b: unknown): b is Resumable<B> =>
  !!b &&
  typeof (b as Resumable<B>).epochIndices === 'function' &&
  typeof (b as Resumable<B>).batchesFrom === 'function';

export async function epochBatches<B>(
  train: Batches<B>,
  generators: readonly Generator[],
  at: EpochPosition | null,
  dispose: boolean,
): Promise<Batches<B>> {
  if (!at || at.batch === 0) {
    if (at) setGeneratorStates(generators, at.generators);
    return train;
  }
  setGeneratorStates(generators, at.epochStartGenerators);
  if (resumable<B>(train)) {
    const order = train.epochIndices();
    setGeneratorStates(generators, at.generators);
    return train.batchesFrom(order, at.batch);
  }
  const it = Symbol.asyncIterator in train ? train[Symbol.asyncIterator]() : (train as Iterable<B>)[Symbol.iterator]();
  for (let k = 0; k < at.batch; k++) {
    const r = await it.next();
    if (r.done) break;
    if (dispose) for (const t of tensorsIn(r.value)) t.dispose();
  }
  setGeneratorStates(generators, at.generators);
  return rest(it);
}

async function* rest<B>(it: Iterator<B> | AsyncIterator<B>): AsyncGenerator<B> {
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
