// The page's message protocol between the UI thread (main.ts) and the Web Worker that owns the model
// (worker.ts). Each request carries an id; the worker answers it with exactly one `done` or `error`,
// and may send `event`s for it before (training progress). Tensors never cross: only numbers, strings
// and transferred ArrayBuffers.

export interface TreeRow {
  module: string;
  type: string;
  params: number;
  trainable: number;
  state: string;
}
export interface Tree {
  rows: TreeRow[];
  text: string;
  total: number;
  trainable: number;
}

export interface Requests {
  /** load the pretrained model on the best device ('auto') or on cpu; answers what it runs on */
  init: {
    req: { device: 'auto' | 'cpu' };
    res: { device: string; adapter: string; software: boolean; load: string; tree: Tree; train: number; test: number };
  };
  /** step 3: freeze all but the head */
  freeze: { req: Record<string, never>; res: { tree: Tree } };
  /** fine-tune what trains; an `epoch` event after each epoch */
  train: {
    req: { epochs: number };
    res: { testAccuracy: number; testLoss: number; seconds: number; backboneUnchanged: boolean };
  };
  /** top-3 digits for a 28x28 image in [0, 1] (MNIST's white-on-black) */
  predict: { req: { pixels: Float32Array }; res: { top: { digit: number; p: number }[] } };
  /** the keys of a dropped .safetensors / .pth */
  inspect: {
    req: { name: string; bytes: ArrayBuffer };
    res: {
      format: string;
      parameters: number;
      bytes: number;
      tensors: { key: string; dtype: string; shape: number[] }[];
      other: string[];
    };
  };
  /** the current weights as a safetensors file */
  weights: { req: Record<string, never>; res: { bytes: ArrayBuffer } };
  /** the losses of the recipe's first steps in a fresh model (recipe.ts firstLosses), for the test */
  firstLosses: { req: { steps: number }; res: { losses: number[]; device: string } };
}
export type RequestType = keyof Requests;

export type TrainEvent = {
  kind: 'epoch';
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
};

export type ToWorker = { [K in RequestType]: { id: number; type: K } & Requests[K]['req'] }[RequestType];
export type FromWorker =
  | { id: number; kind: 'done'; result: unknown }
  | { id: number; kind: 'error'; error: string }
  | ({ id: number } & TrainEvent);

/** What a worker's global scope offers, typed here so this code compiles with the DOM lib. */
export interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
