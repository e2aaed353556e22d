// Pretrained weights from torch.hub's cache and by download — against a local HTTP server started
// here (127.0.0.1, node:http); no test touches the internet. A good download lands in the cache under
// its name; a bad hash, a transfer cut mid-body, a 404, a refused connection and FINETORCH_OFFLINE=1
// each give a WeightsUnavailableError naming the file and where to put it, and leave nothing behind.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { serializeCheckpoint } from '../../src/io/index.js';
import { checkpointsDir, downloadUrlToFile, hubDir, WeightsUnavailableError } from '../../src/models/weights/hub.js';
import { progressBar } from '../../src/models/weights/progress.js';
import { expectClose, torch } from '../harness.js';

const { models } = torch;
const home = mkdtempSync(join(tmpdir(), 'ft-hub-'));
const saved = {
  TORCH_HOME: process.env.TORCH_HOME,
  FINETORCH_OFFLINE: process.env.FINETORCH_OFFLINE,
  FINETORCH_WEIGHTS_URL: process.env.FINETORCH_WEIGHTS_URL,
};
let server: Server,
  base = '';
/** what the server answers per path: bytes (200), 'cut' (half the body, then the socket closes) or 404 */
const routes = new Map<string, { body: Uint8Array; cut?: boolean }>();
let tiny: Uint8Array,
  tinyName = '';

beforeAll(async () => {
  process.env.TORCH_HOME = home;
  delete process.env.FINETORCH_OFFLINE;
  delete process.env.FINETORCH_WEIGHTS_URL;
  // a small generated checkpoint named as torchvision names files: <name>-<sha256 prefix>.pth
  tiny = await serializeCheckpoint(
    {
      'fc.weight': torch.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { device: 'cpu' },
      ),
      'fc.bias': torch.tensor([0.5, -0.5], { device: 'cpu' }),
    },
    'pth',
  );
  tinyName = `tiny-${createHash('sha256').update(tiny).digest('hex').slice(0, 8)}.pth`;
  server = createServer((req, res) => {
    const r = routes.get(req.url ?? '');
    if (!r) {
      res.writeHead(404, 'Not Found').end('no such file');
      return;
    }
    res.writeHead(200, { 'content-length': String(r.body.length) });
    if (!r.cut) {
      res.end(r.body);
      return;
    }
    res.write(r.body.subarray(0, r.body.length >> 1), () => res.socket?.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(home, { recursive: true, force: true });
});
afterEach(() => {
  routes.clear();
  delete process.env.FINETORCH_OFFLINE;
  rmSync(checkpointsDir(), { recursive: true, force: true });
});

const cacheFiles = () => (existsSync(checkpointsDir()) ? readdirSync(checkpointsDir()) : []);
async function rejection(p: Promise<unknown>): Promise<WeightsUnavailableError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WeightsUnavailableError);
  expect(e).toBeInstanceOf(torch.CheckpointError);
  return e as WeightsUnavailableError;
}

describe("the cache is torch.hub's", () => {
  it('$TORCH_HOME/hub/checkpoints, else $XDG_CACHE_HOME/torch/hub, else ~/.cache/torch/hub', () => {
    expect(checkpointsDir()).toBe(join(home, 'hub', 'checkpoints'));
    const xdg = process.env.XDG_CACHE_HOME;
    try {
      delete process.env.TORCH_HOME;
      process.env.XDG_CACHE_HOME = '/x/cache';
      expect(hubDir()).toBe('/x/cache/torch/hub');
      delete process.env.XDG_CACHE_HOME;
      expect(hubDir()).toBe(join(process.env.HOME ?? '', '.cache', 'torch', 'hub'));
      process.env.TORCH_HOME = '~/th';
      expect(hubDir()).toBe(join(process.env.HOME ?? '', 'th', 'hub'));
    } finally {
      process.env.TORCH_HOME = home;
      if (xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = xdg;
    }
  });
});

describe('download', () => {
  it('a good hash: the file lands in the cache under its name, byte for byte, and loads', async () => {
    routes.set(`/models/${tinyName}`, { body: tiny });
    const dst = join(checkpointsDir(), tinyName);
    const err = vi.spyOn(process.stderr, 'write');
    try {
      expect(await downloadUrlToFile(`${base}${tinyName}`, dst, tinyName.slice(5, 13), { progress: false })).toBe(dst);
      expect(err).not.toHaveBeenCalled(); // quiet unless asked (or a terminal)
    } finally {
      err.mockRestore();
    }
    expect(new Uint8Array(readFileSync(dst))).toEqual(tiny);
    expect(cacheFiles()).toEqual([tinyName]);
    const sd = await torch.load(dst);
    await expectClose(sd['fc.weight'], [1, 2, 3, 4]);
  });

  it('a bad hash: refused with both hashes, nothing left in the cache', async () => {
    routes.set(`/models/${tinyName}`, { body: tiny });
    const e = await rejection(
      downloadUrlToFile(`${base}${tinyName}`, join(checkpointsDir(), tinyName), 'deadbeef', { progress: false }),
    );
    expect(e.reason).toBe('hash');
    expect(e.message).toMatch(/invalid hash value \(expected "deadbeef", got "[0-9a-f]{64}"\)/);
    expect(cacheFiles()).toEqual([]);
  });

  it('a transfer cut mid-body: nothing left (no partial file, no temp file)', async () => {
    routes.set(`/models/${tinyName}`, { body: tiny, cut: true });
    const e = await rejection(
      downloadUrlToFile(`${base}${tinyName}`, join(checkpointsDir(), tinyName), null, { progress: false }),
    );
    expect(e.reason).toBe('network');
    expect(e.message).toContain(`could not download ${tinyName}`);
    expect(cacheFiles()).toEqual([]);
  });

  it('404 and a refused connection name the file, the URL and where to put the file', async () => {
    const dst = join(checkpointsDir(), tinyName);
    const e = await rejection(downloadUrlToFile(`${base}${tinyName}`, dst, null, { progress: false }));
    expect(e.reason).toBe('http');
    expect(e.message).toContain(`HTTP 404`);
    expect(e.message).toContain(`put it at ${dst}`);
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const r = await rejection(
      downloadUrlToFile(`http://127.0.0.1:${port}/${tinyName}`, dst, null, { progress: false }),
    );
    expect(r.reason).toBe('network');
    expect(r.message).toMatch(/ECONNREFUSED/);
    expect(cacheFiles()).toEqual([]);
  });

  it("Weights.fetch: from the base URL given (torchvision's file name), verified against the catalog's hash", async () => {
    const w = models.ResNet18_Weights.DEFAULT;
    routes.set('/models/resnet18-f37072fd.pth', { body: tiny }); // not the real file: its sha256 differs
    const e = await rejection(w.fetch({ baseUrl: base, progress: false }));
    expect(e.reason).toBe('hash');
    expect(e.message).toContain('expected "f37072fd"');
    expect(e.file).toBe('resnet18-f37072fd.pth');
    expect(cacheFiles()).toEqual([]);
    // FINETORCH_WEIGHTS_URL does the same as baseUrl
    process.env.FINETORCH_WEIGHTS_URL = base;
    try {
      expect(w.url).toBe(`${base}resnet18-f37072fd.pth`);
      expect((await rejection(w.fetch({ progress: false }))).reason).toBe('hash');
    } finally {
      delete process.env.FINETORCH_WEIGHTS_URL;
    }
  });

  it('FINETORCH_OFFLINE=1: no request, one error naming the file, the URL and the path', async () => {
    process.env.FINETORCH_OFFLINE = '1';
    let requests = 0;
    server.once('request', () => {
      requests++;
    });
    const w = models.MobileNet_V3_Small_Weights.DEFAULT;
    const e = await rejection(w.fetch({ baseUrl: base }));
    expect(e.reason).toBe('offline');
    expect(e.message).toContain('mobilenet_v3_small-047dcff4.pth');
    expect(e.message).toContain(join(checkpointsDir(), 'mobilenet_v3_small-047dcff4.pth'));
    expect(e.message).toContain('https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth');
    await expect(models.load('mobilenet_v3_small', { weights: 'DEFAULT' })).rejects.toThrow(WeightsUnavailableError);
    expect(requests).toBe(0);
  });
});

describe('building with weights', () => {
  it("a cached file (torchvision's name) builds the model synchronously with its tensors; absent, a typed error", async () => {
    const prev = torch.defaultDevice();
    torch.setDefaultDevice('cpu');
    try {
      expect(() => models.mobilenetV3Small({ weights: 'DEFAULT' })).toThrow(
        /mobilenet_v3_small-047dcff4\.pth, which is not in .*await MobileNet_V3_Small_Weights\.IMAGENET1K_V1\.fetch\(\)/,
      );
      torch.manualSeed(5);
      const src = models.mobilenetV3Small();
      mkdirSync(checkpointsDir(), { recursive: true });
      writeFileSync(
        join(checkpointsDir(), 'mobilenet_v3_small-047dcff4.pth'),
        await serializeCheckpoint(src.stateDict(), 'pth'),
      );
      const m = models.mobilenetV3Small({ weights: models.MobileNet_V3_Small_Weights.IMAGENET1K_V1 });
      const byCreate = models.create('mobilenet_v3_small', { weights: 'MobileNet_V3_Small_Weights.DEFAULT' });
      const viaLoad = await models.load('mobilenet_v3_small', { weights: 'DEFAULT' }); // cached: no request
      const want = src.stateDict();
      for (const model of [m, byCreate, viaLoad]) {
        const got = model.stateDict();
        for (const k of ['features.0.0.weight', 'classifier.3.bias', 'features.1.block.0.1.running_var'])
          await expectClose(got[k], want[k], { rtol: 0, atol: 0 }, k);
      }
    } finally {
      torch.setDefaultDevice(prev);
    }
  });

  it("a later torchvision's corrected file name is found too (EfficientNet)", () => {
    mkdirSync(checkpointsDir(), { recursive: true });
    const alias = join(checkpointsDir(), 'efficientnet_b0_rwightman-7f5810bc.pth');
    writeFileSync(alias, 'x');
    expect(models.EfficientNet_B0_Weights.DEFAULT.cached()).toBe(alias);
  });
});

describe('progress bar', () => {
  it('draws in place when asked and ends the line; silent otherwise', () => {
    const out: string[] = [];
    const bar = progressBar('f.pth', 2_000_000, true, { write: (s: string) => out.push(s) });
    bar.update(2_000_000);
    bar.done();
    expect(out.join('')).toBe(`\rdownloading f.pth  [${'#'.repeat(30)}]  100%  2.0/2.0 MB\n`);
    const quiet: string[] = [];
    const off = progressBar('f.pth', 10, false, { write: (s: string) => quiet.push(s) });
    off.update(10);
    off.done();
    expect(quiet).toEqual([]);
  });
});
