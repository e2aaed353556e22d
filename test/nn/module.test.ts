// nn.Module against PyTorch: registration by assignment (including ES2022 class fields), traversal
// names and order, state-dict keys, load semantics, device moves, hooks and print(model).
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { fixture } from '../harness.js';

const { nn } = torch;
const dev = { device: 'cpu' as const };
const fx = fixture('nn_module/structure');
const meta = fx.metadata;
const J = (k: string) => JSON.parse(meta[k]) as unknown;

/** The mirror of tools/reference/nn_module.py's Net, attribute for attribute. */
class Net extends nn.Module {
  stem = new nn.Sequential(
    new nn.Conv2d(3, 4, 3, { padding: 1, bias: false, ...dev }),
    new nn.BatchNorm2d(4, dev),
    new nn.ReLU(),
  );
  alpha = new nn.Parameter(torch.zeros([3], dev));
  blocks = new nn.ModuleList([
    new nn.Sequential(new nn.Linear(4, 4, dev), new nn.LayerNorm(4, dev)),
    new nn.Linear(4, 4, { bias: false, ...dev }),
  ]);
  head: torch.nn.Sequential;
  emb: torch.nn.Embedding;
  shared: torch.nn.Module;
  constructor() {
    super();
    this.registerBuffer('scale', torch.ones([1], dev));
    this.registerBuffer('tmp', torch.zeros([2], dev), { persistent: false });
    this.head = new nn.Sequential(new nn.Sequential(new nn.Linear(4, 2, dev)), new nn.GroupNorm(1, 2, dev));
    this.emb = new nn.Embedding(5, 4, { paddingIdx: 0, ...dev });
    this.shared = this.blocks.get(1);
  }
}

/** The mirror of nn_module.py's every_layer(). */
function everyLayer(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1, bias: false, ...dev }),
    new nn.BatchNorm2d(8, dev),
    new nn.ReLU({ inplace: true }),
    new nn.Sequential(new nn.Linear(4, 2, dev), new nn.Dropout()),
    new nn.ModuleList([new nn.Linear(2, 2, dev), new nn.Linear(2, 2, dev)]),
    new nn.ModuleDict({ a: new nn.GELU(), b: new nn.LeakyReLU() }),
    new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
    new nn.AvgPool2d(2),
    new nn.AdaptiveAvgPool2d([1, 1]),
    new nn.AdaptiveMaxPool1d(1),
    new nn.Flatten(),
    new nn.Unflatten(1, [2, 3]),
    new nn.Identity(),
    new nn.Embedding(10, 3, { paddingIdx: 0, ...dev }),
    new nn.LayerNorm(5, dev),
    new nn.GroupNorm(2, 4, dev),
    new nn.Softmax(1),
    new nn.LogSoftmax(1),
    new nn.Softmax(),
    new nn.Conv1d(4, 5, 3, { stride: 2, padding: 1, dilation: 2, ...dev }),
    new nn.Conv2d(4, 4, [3, 1], { padding: 'same', groups: 2, ...dev }),
    new nn.BatchNorm1d(3, { momentum: null, affine: false, ...dev }),
    new nn.CrossEntropyLoss(),
    new nn.SiLU(),
    new nn.Tanh(),
    new nn.Sigmoid(),
    new nn.MaxPool1d(2),
    new nn.HuberLoss(),
    new nn.Dropout(0.25, { inplace: true }),
    new nn.LayerNorm([2, 3], { eps: 1e-6, elementwiseAffine: false, ...dev }),
    new nn.Conv2d(2, 2, 3, { padding: 1, paddingMode: 'reflect', ...dev }),
    new nn.BatchNorm2d(2, { eps: 1e-3, momentum: 0.01, trackRunningStats: false, ...dev }),
    new nn.Linear(3, 1, { bias: false, ...dev }),
  );
}

/** PyTorch's state dict from the fixture, in PyTorch's key order. */
function pytorchStateDict(): Record<string, torch.Tensor> {
  const out: Record<string, torch.Tensor> = {};
  for (const [k] of J('keys') as [string, number[]][]) out[k] = fx.tensors[`sd.${k}`];
  return out;
}
/** every state value, exactly */
const bits = (m: torch.nn.Module) => Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]);

describe('registration by assignment', () => {
  it('registers modules and parameters assigned as properties, plain values stay plain', () => {
    const m = new nn.Module() as torch.nn.Module & Record<string, unknown>;
    m.fc = new nn.Linear(2, 3, dev);
    m.w = new nn.Parameter(torch.ones([2], dev));
    m.k = 5;
    m.t = torch.zeros([2], dev); // a plain tensor is not state (use registerBuffer)
    expect(m.namedChildren().map(([k]) => k)).toEqual(['fc']);
    expect(m.namedParameters().map(([k]) => k)).toEqual(['w', 'fc.weight', 'fc.bias']);
    expect(Object.keys(m.stateDict())).toEqual(['w', 'fc.weight', 'fc.bias']);
    expect(m.k).toBe(5);
  });

  it('replacing a child keeps its place; null keeps the name with no value; delete removes it', () => {
    const m = new nn.Sequential(
      new nn.Linear(2, 2, dev),
      new nn.ReLU(),
      new nn.Linear(2, 2, dev),
    ) as torch.nn.Sequential & Record<string, unknown>;
    const head = new nn.Linear(2, 7, dev);
    m.set(0, head);
    expect(m.get(0)).toBe(head);
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    m['0'] = null;
    expect(m.namedChildren().map(([k]) => k)).toEqual(['1', '2']);
    expect(String(m)).toContain('(0): None');
    expect(m.length).toBe(3);
    delete m['2'];
    expect(m.length).toBe(2);
    expect(Object.keys(m.stateDict())).toEqual([]);
  });

  it('a registered parameter cannot be replaced by a plain tensor, nor a child by a number', () => {
    const lin = new nn.Linear(2, 2, dev) as torch.nn.Linear & Record<string, unknown>;
    expect(() => {
      lin.weight = torch.zeros([2, 2], dev) as torch.nn.Parameter;
    }).toThrow(/cannot assign 'Tensor\(float32\)' as parameter 'weight'/);
    const s = new nn.Sequential(new nn.ReLU()) as torch.nn.Sequential & Record<string, unknown>;
    expect(() => {
      s['0'] = 3;
    }).toThrow(/as child module '0'/);
    expect(() => lin.registerBuffer('forward', torch.zeros([1], dev))).toThrow(/attribute 'forward' already exists/);
    expect(() => lin.registerParameter('a.b', null)).toThrow(/can't contain "."/);
  });

  it('ES2022 class fields ([[Define]] semantics) register, including a typed field re-assigned by the user', () => {
    // this test is only meaningful if fields really are defined, not set: check the transpiler
    let setterRan = false;
    class P {
      constructor() {
        Object.defineProperty(this, 'x', {
          set: () => {
            setterRan = true;
          },
          configurable: true,
        });
      }
    }
    class C extends P {
      x = 1;
    }
    expect(new C().x).toBe(1);
    expect(setterRan).toBe(false);

    class Model extends nn.Module {
      features = new nn.Linear(4, 4, dev); // initializer: [[Define]] of a Module after super() returns
      fc!: torch.nn.Linear; // declared without an initializer: [[Define]] of undefined, assigned below
      count = 0;
      constructor() {
        super();
        this.fc = new nn.Linear(4, 10, dev);
      }
    }
    const m = new Model();
    expect(m.namedChildren().map(([k]) => k)).toEqual(['features', 'fc']);
    // what a subclass redeclaring `fc` without an initializer does after Model's constructor (TS
    // rejects that declaration, plain JS does not): [[Define]] undefined, which must not unregister fc
    Reflect.defineProperty(m, 'fc', { value: undefined, writable: true, enumerable: true, configurable: true });
    expect(m.fc).toBeInstanceOf(nn.Linear);
    expect(m.namedChildren().map(([k]) => k)).toEqual(['features', 'fc']);
    m.fc = new nn.Linear(4, 2, dev); // the seed's step 2, typed
    expect(m.getParameter('fc.weight').shape).toEqual([2, 4]);
    expect(m.fc.outFeatures).toBe(2);
    expect(m.count).toBe(0);
    // the [[DefineOwnProperty]] trap directly, whatever the transpiler does with fields
    Reflect.defineProperty(m, 'extra', {
      value: new nn.Linear(1, 1, dev),
      writable: true,
      enumerable: true,
      configurable: true,
    });
    expect(m.namedChildren().map(([k]) => k)).toEqual(['features', 'fc', 'extra']);
    expect(Object.keys(m.stateDict())).toEqual([
      'features.weight',
      'features.bias',
      'fc.weight',
      'fc.bias',
      'extra.weight',
      'extra.bias',
    ]);
  });
});

describe('names and order as PyTorch', () => {
  const net = new Net();
  it('stateDict keys, order and shapes', () => {
    const sd = net.stateDict();
    expect(Object.entries(sd).map(([k, v]) => [k, [...v.shape]])).toEqual(J('keys'));
    expect(sd['stem.1.num_batches_tracked'].dtype).toBe('int32');
  });
  it('namedParameters, namedBuffers, namedModules, namedChildren', () => {
    expect(net.namedParameters().map(([k]) => k)).toEqual(J('named_parameters'));
    expect(net.namedBuffers().map(([k]) => k)).toEqual(J('named_buffers'));
    expect(net.namedModules().map(([k]) => k)).toEqual(J('named_modules'));
    expect(net.namedChildren().map(([k]) => k)).toEqual(J('children'));
    expect(net.parameters().length).toBe((J('named_parameters') as string[]).length);
    expect(net.children()[4]).toBe(net.blocks.get(1));
    expect(net.parameters({ recurse: false }).length).toBe(1);
  });
  it('getSubmodule / getParameter / getBuffer', () => {
    expect(net.getSubmodule('blocks.0.1')).toBeInstanceOf(nn.LayerNorm);
    expect(net.getParameter('head.0.0.bias').shape).toEqual([2]);
    expect(net.getBuffer('stem.1.running_var').shape).toEqual([4]);
    expect(() => net.getSubmodule('blocks.7')).toThrow(/ModuleList has no attribute `7`/);
    expect(() => net.getParameter('stem.1.running_mean')).toThrow(/no parameter `running_mean`/);
  });
  it("String(model) is PyTorch's print(model)", () => {
    expect(String(net)).toBe(meta.repr);
    expect(String(everyLayer())).toBe(meta.every_layer_repr);
  });
});

describe('loadStateDict', () => {
  it('copies every value (not aliased) and round-trips stateDict', () => {
    const net = new Net();
    const sd = pytorchStateDict();
    const r = net.loadStateDict(sd);
    expect(r).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(net.stateDict()))
      expect(Array.from(v.dataSync()), k).toEqual(Array.from(sd[k].dataSync()));
    expect(net.getParameter('alpha').dataSync()).not.toBe(sd.alpha.dataSync());
    torch.noGrad(() => sd.alpha.fill_(42));
    expect(Array.from(net.getParameter('alpha').dataSync())).not.toContain(42);
    // the seed's second case: update a fresh model's own dict with the shared keys, load it back
    const other = new Net();
    const modelDict = other.stateDict();
    for (const [k, v] of Object.entries(net.stateDict())) if (k in modelDict) modelDict[k] = v;
    other.loadStateDict(modelDict);
    expect(bits(other)).toEqual(bits(net));
  });

  it('non-strict: missing and unexpected keys as PyTorch reports them; a missing num_batches_tracked loads as 0', () => {
    const sd = pytorchStateDict();
    for (const k of J('edited_removed') as string[]) delete sd[k];
    for (const k of J('edited_added') as string[])
      sd[k] = torch.zeros(k === 'blocks.5.weight' ? [4, 4] : k === 'tmp' ? [2] : [1], dev);
    const net = new Net();
    torch.noGrad(() => net.getBuffer('stem.1.num_batches_tracked').fill_(5));
    const r = net.loadStateDict(sd, { strict: false });
    expect(r.missingKeys).toEqual(J('missing_keys'));
    expect(r.unexpectedKeys).toEqual(J('unexpected_keys'));
    expect(net.getBuffer('stem.1.num_batches_tracked').dataSync()[0]).toBe(Number(meta.loaded_num_batches_tracked));
  });

  it('strict: throws listing every missing and unexpected key, and changes nothing', () => {
    const sd = pytorchStateDict();
    for (const k of J('edited_removed') as string[]) delete sd[k];
    for (const k of J('edited_added') as string[])
      sd[k] = torch.zeros(k === 'blocks.5.weight' ? [4, 4] : k === 'tmp' ? [2] : [1], dev);
    const net = new Net();
    const before = bits(net);
    let err: unknown;
    try {
      net.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(nn.StateDictError);
    expect(err).toBeInstanceOf(torch.CheckpointError);
    expect((err as Error).message).toBe(meta.strict_message);
    expect((err as torch.nn.StateDictError).missingKeys).toEqual(J('missing_keys'));
    expect(bits(net)).toEqual(before);
  });

  it('a shape mismatch always throws, naming the key and both shapes, and leaves the model bitwise untouched', () => {
    const net = new Net();
    const before = bits(net);
    const sd = pytorchStateDict();
    sd['head.0.0.weight'] = torch.zeros([3, 4], dev);
    for (const strict of [true, false]) {
      expect(() => net.loadStateDict(sd, { strict })).toThrow(
        'size mismatch for head.0.0.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [2, 4].',
      );
      expect(bits(net)).toEqual(before); // keys before head.0.0.weight were not copied either
    }
    sd['head.0.0.weight'] = 'oops' as unknown as torch.Tensor;
    expect(() => net.loadStateDict(sd)).toThrow(
      /While copying the parameter named "head.0.0.weight", expected a Tensor/,
    );
    expect(bits(net)).toEqual(before);
  });

  it('converts dtype (float → the int32 counter), accepts a Map, and a 1-element vector for a 0-dim entry', () => {
    const bn = new nn.BatchNorm1d(2, dev);
    const sd = new Map(Object.entries(bn.stateDict()));
    sd.set('num_batches_tracked', torch.tensor([9], dev));
    bn.loadStateDict(sd);
    const nbt = bn.getBuffer('num_batches_tracked');
    expect(nbt.dtype).toBe('int32');
    expect(nbt.shape).toEqual([]);
    expect(nbt.dataSync()[0]).toBe(9);
  });
});

describe('modes, freezing, gradients', () => {
  it('train/eval recurse; requiresGrad_ freezes; zeroGrad', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.requiresGrad_(false);
    expect(net.parameters().some((p) => p.requiresGrad)).toBe(false);
    net.head.requiresGrad_();
    expect(
      net
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([k]) => k),
    ).toEqual(['head.0.0.weight', 'head.0.0.bias', 'head.1.weight', 'head.1.bias']);
    const lin = new nn.Linear(3, 2, dev);
    lin
      .call(torch.ones([4, 3], dev))
      .sum()
      .backward();
    expect(Array.from(lin.bias!.grad!.dataSync())).toEqual([4, 4]);
    lin.zeroGrad({ setToNone: false });
    expect(Array.from(lin.bias!.grad!.dataSync())).toEqual([0, 0]);
    const g = lin.weight.grad!;
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
  });

  it('parameters are kept out of scopes; apply visits children first', () => {
    const lin = torch.scope(() => new nn.Linear(2, 2, dev));
    expect(lin.weight.isDisposed).toBe(false);
    const bn = torch.scope(() => new nn.BatchNorm1d(2, dev));
    expect(bn.getBuffer('running_mean').isDisposed).toBe(false);
    const seen: string[] = [];
    new nn.Sequential(new nn.ReLU(), new nn.Sequential(new nn.Tanh())).apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['ReLU', 'Tanh', 'Sequential', 'Sequential']);
  });
});

describe('call and hooks', () => {
  it('pre-hooks can replace the input, forward hooks the output; handles remove them', () => {
    const lin = new nn.Linear(2, 1, dev);
    torch.noGrad(() => {
      lin.weight.fill_(1);
      lin.bias!.fill_(0);
    });
    const x = torch.tensor([[1, 2]], dev);
    const pre = lin.registerForwardPreHook((_m, args) => [(args[0] as torch.Tensor).mul(10)]);
    const post = lin.registerForwardHook((_m, _args, out) => (out as torch.Tensor).add(1));
    expect(lin.call(x).dataSync()[0]).toBe(31);
    expect(lin.forward(x).dataSync()[0]).toBe(3); // forward skips hooks, as in PyTorch
    pre.remove();
    post.remove();
    expect(lin.call(x).dataSync()[0]).toBe(3);
  });
  it('a module without forward says so', () => {
    expect(() => new nn.Module().call()).toThrow(/Module \[Module\] is missing the required "forward" function/);
  });
});

describe('containers', () => {
  it('Sequential: get with negative index, slice, append, insert and delete renumber', () => {
    const a = new nn.ReLU(),
      b = new nn.Tanh(),
      c = new nn.Sigmoid();
    const s = new nn.Sequential(a, b);
    expect(s.get(-1)).toBe(b);
    s.append(c);
    s.insert(0, new nn.Identity());
    expect(s.namedChildren().map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual([
      '0:Identity',
      '1:ReLU',
      '2:Tanh',
      '3:Sigmoid',
    ]);
    s.delete(1);
    expect(s.namedChildren().map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual([
      '0:Identity',
      '1:Tanh',
      '2:Sigmoid',
    ]);
    expect([...s.slice(1)].map((m) => m.constructor.name)).toEqual(['Tanh', 'Sigmoid']);
    expect(() => s.get(3)).toThrow(/index 3 is out of range/);
    const named = new nn.Sequential(
      new Map<string, torch.nn.Module>([
        ['conv', new nn.Conv1d(1, 1, 1, dev)],
        ['act', new nn.ReLU()],
      ]),
    );
    expect(Object.keys(named.stateDict())).toEqual(['conv.weight', 'conv.bias']);
  });
  it('ModuleList and ModuleDict', () => {
    const l = new nn.ModuleList([new nn.Linear(1, 1, dev), new nn.Linear(1, 2, dev)]);
    l.insert(1, new nn.Linear(1, 3, dev));
    expect(l.map((m) => m.outFeatures)).toEqual([1, 3, 2]);
    expect(l.pop(0).outFeatures).toBe(1);
    expect(Object.keys(l.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const d = new nn.ModuleDict<torch.nn.Module>({ cls: new nn.Linear(2, 3, dev), reg: new nn.Linear(2, 1, dev) });
    expect([...d]).toEqual(['cls', 'reg']);
    expect(d.get('reg')).toBeInstanceOf(nn.Linear);
    d.pop('cls');
    expect(Object.keys(d.stateDict())).toEqual(['reg.weight', 'reg.bias']);
    expect(() => d.set('keys', new nn.ReLU())).toThrow(/attribute 'keys' already exists/);
  });
});
