// The page's Web Worker: it owns finetorch (the browser bundle, served beside it as finetorch.js),
// the model and the data, so training never blocks the UI thread. It answers protocol.ts requests
// one at a time, in order; the seed's steps map onto them: init = load + new head, freeze, train.
import { decodeDigits, type DigitSets } from './digits.js';
import type { FromWorker, Requests, RequestType, TrainEvent, Tree, WorkerScope } from './protocol.js';
import {
  firstLosses,
  freezeBackbone,
  optimizerFor,
  pretrainedModel,
  RECIPE,
  toDataset,
  toInput,
  topK,
  type Torch,
} from './recipe.js';

const scope = globalThis as unknown as WorkerScope;
// the page's ?device=cpu and ?autotune=0 (tests: a fresh profile would time kernels for minutes on a
// software adapter) become the library's settings, which it reads once at import: hence the late import
const params = new URL(self.location.href).searchParams;
(globalThis as { FINETORCH_ENV?: Record<string, string> }).FINETORCH_ENV = {
  ...(params.get('device') === 'cpu' ? { FINETORCH_DEVICE: 'cpu' } : {}),
  ...(params.get('autotune') === '0' ? { FINETORCH_AUTOTUNE: '0' } : {}),
};
let T = null as unknown as Torch;
// not a top-level await: messages that arrive while the module is still evaluating would find no handler
let importError: unknown = null;
const imported = import('finetorch').then(
  (m) => {
    T = m as unknown as Torch;
  },
  (e) => {
    importError = e;
  },
);
type Model = Awaited<ReturnType<typeof pretrainedModel>>['model'];

let device: Torch['defaultDevice'] extends () => infer D ? D : never = 'cpu';
let model: Model | null = null;
let weights: Uint8Array | null = null;
let digits: DigitSets | null = null;

async function fetchBytes(name: string): Promise<Uint8Array> {
  const r = await fetch(new URL(name, import.meta.url));
  if (!r.ok) throw new Error(`GET ${name}: ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

function tree(m: Model): Tree {
  const t = T.finetune.trainability(m);
  const rows = t.groups.map((g) => ({
    module: g.module,
    type: g.type,
    params: g.count,
    trainable: g.trainable,
    state:
      (g.trainable === 0 ? 'frozen' : g.trainable === g.count ? 'trainable' : 'partly trainable') +
      (g.frozenBatchNorms ? ` (${g.frozenBatchNorms} BatchNorm in eval)` : ''),
  }));
  return { rows, text: String(t), total: t.total, trainable: t.trainable };
}

function need<T>(x: T | null, what: string): T {
  if (x === null) throw new Error(`${what}: send init first`);
  return x;
}

async function frozenValues(m: Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of Object.entries(m.stateDict()))
    if (!k.startsWith('fc.')) out.set(k, Float32Array.from((await v.data()) as ArrayLike<number>));
  return out;
}

type Handler<K extends RequestType> = (
  req: Requests[K]['req'],
  emit: (e: TrainEvent) => void,
) => Promise<Requests[K]['res']>;
const handlers: { [K in RequestType]: Handler<K> } = {
  async init({ device: want }) {
    await T.init();
    device = want === 'cpu' ? 'cpu' : T.defaultDevice();
    [weights, digits] = await Promise.all([
      fetchBytes('smallcnn-mnist04.safetensors'),
      fetchBytes('digits.bin').then(decodeDigits),
    ]);
    const r = await pretrainedModel(T, weights, device);
    model = r.model;
    const info = T.webgpu.info();
    const adapter =
      device === 'webgpu' && info
        ? `${info.description}${info.isFallbackAdapter ? ', fallback adapter' : ''}`
        : T.isAvailable('webgpu')
          ? 'cpu chosen'
          : 'no WebGPU adapter';
    return {
      device,
      adapter,
      software: device === 'webgpu' ? Boolean(info?.isSoftware) : true,
      load: String(r.report),
      tree: tree(model),
      train: digits.train.digits.length,
      test: digits.test.digits.length,
    };
  },
  async freeze() {
    const m = need(model, 'freeze');
    freezeBackbone(T, m);
    return { tree: tree(m) };
  },
  async train({ epochs }, emit) {
    const m = need(model, 'train'),
      d = need(digits, 'train');
    const t0 = performance.now();
    const before = await frozenValues(m);
    const loader = (split: 'train' | 'val' | 'test', shuffle: boolean) =>
      new T.data.DataLoader(toDataset(T, d[split]), {
        batchSize: split === 'train' ? RECIPE.batchSize : 250,
        shuffle,
        device,
      });
    await T.finetune.fit(m, {
      train: loader('train', true),
      val: loader('val', false),
      optimizer: optimizerFor(T, m),
      epochs,
      log: false,
      onEpoch: (r) =>
        emit({
          kind: 'epoch',
          epoch: r.epoch,
          trainLoss: r.trainLoss,
          trainAccuracy: Number(r.trainAccuracy),
          valLoss: r.valLoss ?? NaN,
          valAccuracy: Number(r.valAccuracy),
          seconds: r.seconds,
        }),
    });
    const after = await frozenValues(m);
    const backboneUnchanged = [...before].every(([k, v]) => after.get(k)!.every((x, i) => Object.is(x, v[i])));
    const test = await T.finetune.evaluate(m, loader('test', false));
    return {
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      seconds: (performance.now() - t0) / 1000,
      backboneUnchanged,
    };
  },
  async predict({ pixels }) {
    const m = need(model, 'predict');
    m.eval();
    const logits = T.noGrad(() => T.scope(() => m.call(toInput(T, pixels, device))));
    const top = await topK(logits, 3);
    logits.dispose();
    return { top };
  },
  async inspect({ name, bytes }) {
    let s: ReturnType<typeof T.inspectCheckpoint>;
    try {
      s = T.inspectCheckpoint(new Uint8Array(bytes));
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
    const other = Object.entries(s.other).map(
      ([k, v]) => `${k} = ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`,
    );
    return {
      format: s.format,
      parameters: s.parameters,
      bytes: s.bytes,
      tensors: s.tensors.map((t) => ({ key: t.key, dtype: t.dtype, shape: t.shape })),
      other,
    };
  },
  async weights() {
    const m = need(model, 'weights');
    const bytes = await T.save(m.stateDict(), {
      format: 'safetensors',
      metadata: { format: 'pt', source: 'finetorch web page: SmallCNN fine-tuned on MNIST digits 5-9' },
    });
    return { bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  },
  async firstLosses({ steps }) {
    return {
      losses: await firstLosses(T, need(weights, 'firstLosses'), need(digits, 'firstLosses').train, device, steps),
      device,
    };
  },
};

// one request at a time, in arrival order: the model is shared state
let queue: Promise<void> = imported;
scope.onmessage = (e) => {
  const msg = e.data;
  queue = queue.then(async () => {
    const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
    try {
      if (importError) throw new Error(`cannot load finetorch.js: ${String(importError)}`);
      const handler = handlers[msg.type] as Handler<RequestType>;
      const result = await handler(msg as never, (ev) => post({ id: msg.id, ...ev }));
      const transfer = msg.type === 'weights' ? [(result as Requests['weights']['res']).bytes] : [];
      post({ id: msg.id, kind: 'done', result }, transfer);
    } catch (err) {
      post({ id: msg.id, kind: 'error', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  });
};
