// A training run for the real-Ctrl-C test (sigint.test.ts): `node --import tsx sigint-child.ts DIR
// [--resume]` fits with handleSigint: true and sends itself SIGINT during the third training step;
// it prints the history as JSON. The parent imports `setup` to run the same training in-process.
import * as torch from '../../src/index.js';

export function setup() {
  torch.manualSeed(5);
  const { nn, optim, data } = torch;
  const model = new nn.Sequential(
    new nn.Linear(6, 16, { device: 'cpu' }),
    new nn.ReLU(),
    new nn.Dropout(0.3),
    new nn.Linear(16, 3, { device: 'cpu' }),
  );
  const g = new torch.Generator(1);
  const n = 40;
  const x = Float32Array.from({ length: n * 6 }, () => g.normal());
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const gen = new torch.Generator(2);
  const train = new data.DataLoader(new data.TensorDataset({ data: x, shape: [n, 6] }, { data: y, shape: [n] }), {
    batchSize: 4,
    shuffle: true,
    generator: gen,
    device: 'cpu',
  });
  return {
    model,
    train,
    optimizer: new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
    epochs: 2,
    accumulateSteps: 2,
    log: false as const,
  };
}

if (process.argv[2]) {
  const s = setup();
  let forwards = 0;
  s.model.registerForwardHook(() => {
    if (++forwards === 3) process.kill(process.pid, 'SIGINT');
  });
  const h = await torch.finetune.fit(s.model, { ...s, checkpointDir: process.argv[2], handleSigint: true });
  process.stdout.write(`${JSON.stringify({ interrupted: h.interrupted, epochs: h.epochs.length })}\n`);
}
