// The platform split (src/platform/): checkpoints from every kind of source and to bytes, the browser
// platform's files (an in-memory OPFS), settings, autotune cache and Node-only features, fit writing
// its checkpoints to `opfs:` under the browser platform, and software-adapter detection from what
// Chrome reports. The browser platform is installed only inside each test and Node's put back.
import { afterEach, describe, expect, it } from 'vitest';
import { torch } from '../harness.js';
import { isSoftwareAdapter } from '../../src/kernels/webgpu/adapter.js';
import { browserPlatform } from '../../src/platform/browser.js';
import { browserTuneCache } from '../../src/platform/browser-tune-cache.js';
import { nodePlatform } from '../../src/platform/node.js';
import { opfsParts } from '../../src/platform/opfs.js';
import { platform, setPlatform } from '../../src/platform/platform.js';
import { installFakeOpfs } from './fake-opfs.js';

// importing browser.ts installed it: Node's is the one the rest of the suite expects
setPlatform(nodePlatform);
const { data, finetune: ft, nn, optim } = torch;

afterEach(() => setPlatform(nodePlatform));

describe('software adapter detection', () => {
  const base = { vendor: '', architecture: '', device: '', description: '' };
  it('uses isFallbackAdapter and the architecture first (Chrome leaves description empty)', () => {
    expect(isSoftwareAdapter({ ...base, vendor: 'google', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'mesa', architecture: 'llvmpipe' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'nvidia', architecture: 'ampere' })).toBe(false);
    expect(isSoftwareAdapter({ ...base, vendor: 'apple', architecture: 'metal-3', isFallbackAdapter: false })).toBe(
      false,
    );
    // Dawn's Node binding: the driver named in the description
    expect(isSoftwareAdapter({ ...base, vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
  });
});

describe('torch.load sources and torch.save to bytes', () => {
  it('save without a name returns the bytes (pth by default, safetensors when asked); load takes them in every form', async () => {
    const sd = {
      w: torch.tensor([
        [1, 2],
        [3, 4],
      ]),
      b: torch.tensor([5, 6]),
    };
    const pth = await torch.save(sd);
    const st = await torch.save(sd, { format: 'safetensors', metadata: { run: 'x' } });
    expect(torch.detectFormat(pth)).toBe('pth');
    expect(torch.detectFormat(st)).toBe('safetensors');
    const sources: unknown[] = [
      st,
      st.slice().buffer,
      new Blob([st as Uint8Array<ArrayBuffer>]),
      new DataView(st.buffer, st.byteOffset, st.byteLength),
      pth,
    ];
    for (const src of sources) {
      const got = await torch.load(src as torch.CheckpointSource);
      expect(await got.w.tolist()).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(await got.b.tolist()).toEqual([5, 6]);
    }
    await expect(torch.save(sd, { format: 'npz' as 'pth' })).rejects.toThrow(torch.ArgumentError);
    await expect(torch.load(42 as unknown as Uint8Array)).rejects.toThrow(/expected a path, URL, Blob/);
  });

  it('loads a URL with progress up to the full length', async () => {
    const st = await torch.save({ x: torch.arange(0, 64) }, { format: 'safetensors' });
    const url = `data:application/octet-stream;base64,${Buffer.from(st).toString('base64')}`;
    const seen: [number, number | null][] = [];
    const got = await torch.load(url, { onProgress: (loaded, total) => seen.push([loaded, total]) });
    expect(await got.x.tolist()).toEqual([...Array(64).keys()]);
    expect(seen[0][0]).toBe(0);
    expect(seen[seen.length - 1][0]).toBe(st.length);
  });
});

describe('the browser platform', () => {
  it('keeps checkpoints in the origin-private file system under opfs: names', async () => {
    const fake = installFakeOpfs();
    try {
      setPlatform(browserPlatform);
      const sd = { w: torch.tensor([1.5, -2]) };
      await torch.save(sd, 'opfs:runs/a/model.safetensors');
      expect([...fake.root.dirs.get('runs')!.dirs.get('a')!.files.keys()]).toEqual(['model.safetensors']);
      expect(await (await torch.load('opfs:runs/a/model.safetensors')).w.tolist()).toEqual([1.5, -2]);
      await expect(torch.load('opfs:runs/missing.pth')).rejects.toThrow(
        /cannot read 'opfs:runs\/missing.pth'.*no such file/,
      );
      await expect(torch.save(sd, '/tmp/x.safetensors')).rejects.toThrow(torch.PlatformError);
      await expect(torch.save(sd, '/tmp/x.safetensors')).rejects.toThrow(/opfs:/);
      expect(() => opfsParts('opfs:a/../b')).toThrow(torch.ArgumentError);
    } finally {
      fake.restore();
    }
  });

  it('runs fit with a log callback and its checkpoints, metrics and curve in opfs:', async () => {
    const fake = installFakeOpfs();
    try {
      setPlatform(browserPlatform);
      torch.manualSeed(0);
      const x = torch.randn([16, 4], { device: 'cpu' }),
        y = torch.tensor(
          Array.from({ length: 16 }, (_, i) => i % 2),
          { dtype: 'int32', device: 'cpu' },
        );
      const model = new nn.Linear(4, 2, { device: 'cpu' });
      const lines: string[] = [];
      const h = await ft.fit(model, {
        train: new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 8, device: 'cpu' }),
        epochs: 2,
        device: 'cpu',
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        checkpointDir: 'opfs:run',
        log: (l) => lines.push(l),
      });
      expect(h.epochs).toHaveLength(2);
      expect(lines.length).toBeGreaterThan(0);
      expect(h.files.model).toBe('opfs:run/model.safetensors');
      const run = fake.root.dirs.get('run')!;
      expect([...run.files.keys()].sort()).toEqual([
        'checkpoint.safetensors',
        'curve.svg',
        'metrics.jsonl',
        'model.safetensors',
      ]);
      const metrics = new TextDecoder()
        .decode(await platform().files.read('opfs:run/metrics.jsonl'))
        .trim()
        .split('\n');
      expect(metrics.map((l) => JSON.parse(l).epoch)).toEqual([1, 2]);
      // resume reads the checkpoint back from the same store
      const again = await ft.fit(model, {
        train: new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 8, device: 'cpu' }),
        epochs: 3,
        device: 'cpu',
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        checkpointDir: 'opfs:run',
        resume: true,
        log: false,
      });
      expect(again.epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
    } finally {
      fake.restore();
    }
  });

  it('reads settings from globalThis.FINETORCH_ENV, and Node-only features say they need Node', () => {
    setPlatform(browserPlatform);
    const g = globalThis as { FINETORCH_ENV?: Record<string, string> };
    g.FINETORCH_ENV = { FINETORCH_AUTOTUNE: '0' };
    try {
      expect(platform().env('FINETORCH_AUTOTUNE')).toBe('0');
      expect(platform().env('HOME')).toBeUndefined();
    } finally {
      delete g.FINETORCH_ENV;
    }
    expect(() => new data.ImageFolder('/tmp')).toThrow(torch.PlatformError);
    expect(() => new data.ImageFolder('/tmp')).toThrow(/ImageFolder needs Node/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => data.decodeImage(png)).toThrow(/decodeImageAsync/);
    expect(() => platform().exit(130)).toThrow(torch.PlatformError);
  });

  it('keeps the autotune cache where a page or worker can (here localStorage), written behind and read back', async () => {
    const store = new Map<string, string>();
    const g = globalThis as { localStorage?: unknown };
    g.localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    try {
      const a = browserTuneCache();
      expect(a.where).toMatch(/localStorage/);
      await a.load();
      expect(a.read()).toEqual({});
      a.write({ k: { config: 'tile:8x8x8x1', ms: { x: 1 }, at: 'now' } });
      const b = browserTuneCache(); // a page load later
      await b.load();
      expect(b.read().k.config).toBe('tile:8x8x8x1');
    } finally {
      delete g.localStorage;
    }
  });
});
