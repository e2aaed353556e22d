// The fine-tuning page's Node-testable parts, without a browser: digits.bin's format, the digits it
// holds, the MNIST-style reduction of a drawing, the recipe's constants against the demo's, and the
// static server's headers (MIME types, cross-origin isolation, nothing outside its root).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECIPE as DEMO_RECIPE } from '../../examples/demo.js';
import { MNIST_MEAN as PRE_MEAN, MNIST_STD as PRE_STD } from '../../examples/pretrain.js';
import { decodeDigits, encodeDigits, PIXELS } from '../../examples/web/digits.js';
import { pickDigits } from '../../examples/web/make-digits.js';
import { toMnist } from '../../examples/web/mnist-style.js';
import { MNIST_MEAN, MNIST_STD, RECIPE } from '../../examples/web/recipe.js';
import { serve } from '../../examples/web/serve.mjs';

describe('digits.bin', () => {
  const sets = pickDigits();
  it("holds the demo's split: 50 of each digit 5–9 to train, 250 to validate, 250 to test", () => {
    const count = (d: Uint8Array) => [5, 6, 7, 8, 9].map((k) => d.filter((x) => x === k).length);
    expect(count(sets.train.digits)).toEqual([50, 50, 50, 50, 50]);
    expect(sets.val.digits.length).toBe(250);
    expect(sets.test.digits.length).toBe(250);
    expect(
      count(sets.test.digits).every((n) => n > 20),
      String(count(sets.test.digits)),
    ).toBe(true);
  });
  it('round-trips the pixels exactly', () => {
    const back = decodeDigits(encodeDigits(sets));
    for (const s of ['train', 'val', 'test'] as const) {
      expect(back[s].digits).toEqual(sets[s].digits);
      expect(back[s].images).toEqual(sets[s].images);
    }
  });
  it('refuses what is not one', () => {
    const bytes = encodeDigits(sets);
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes, expected/);
    expect(() => decodeDigits(new Uint8Array(30))).toThrow(/not a version-1 FTDG file/);
    const bad = { ...sets, val: { images: new Float32Array(PIXELS).fill(0.5), digits: new Uint8Array([5]) } };
    expect(() => encodeDigits(bad)).toThrow(/val pixel 0 is 0.5, not an 8-bit level/);
  });
});

describe('a drawing to an MNIST digit', () => {
  it('is null when nothing is drawn', () => {
    expect(toMnist(new Float32Array(100 * 80), 100, 80)).toBeNull();
  });
  it('scales the ink to fit 20x20 and puts its centre of mass at the centre', () => {
    const w = 200,
      h = 160,
      g = new Float32Array(w * h);
    for (let y = 10; y < 90; y++) for (let x = 150; x < 190; x++) g[y * w + x] = 1; // a tall bar in a corner
    const d = toMnist(g, w, h)!;
    let mass = 0,
      cx = 0,
      cy = 0,
      rows = new Set<number>(),
      cols = new Set<number>();
    d.forEach((v, i) => {
      if (v > 0) {
        mass += v;
        cx += v * ((i % 28) + 0.5);
        cy += v * (Math.floor(i / 28) + 0.5);
        rows.add(Math.floor(i / 28));
        cols.add(i % 28);
      }
    });
    expect(rows.size).toBe(20);
    expect(cols.size).toBe(10);
    expect(Math.abs(cx / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...d)).toBe(1);
  });
});

it("the page's recipe is the demo's", () => {
  expect([MNIST_MEAN, MNIST_STD]).toEqual([PRE_MEAN, PRE_STD]);
  expect({ batchSize: RECIPE.batchSize, lr: RECIPE.lr, momentum: RECIPE.momentum }).toEqual({
    batchSize: DEMO_RECIPE.batchSize,
    lr: DEMO_RECIPE.lr,
    momentum: DEMO_RECIPE.momentum,
  });
});

describe('serve.mjs', () => {
  const root = mkdtempSync(join(tmpdir(), 'finetorch-serve-'));
  mkdirSync(join(root, 'site'));
  writeFileSync(join(root, 'site', 'index.html'), '<p>hi</p>');
  writeFileSync(join(root, 'site', 'a.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, 'secret.txt'), 'outside');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves with MIME types and cross-origin isolation, and nothing outside its root', async () => {
    const s = await serve(join(root, 'site'));
    try {
      const page = await fetch(s.url);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(await page.text()).toBe('<p>hi</p>');
      expect((await fetch(`${s.url}a.wasm`)).headers.get('content-type')).toBe('application/wasm');
      expect((await fetch(`${s.url}nope.js`)).status).toBe(404);
      expect((await fetch(`${s.url}..%2Fsecret.txt`)).status).toBe(403);
      expect((await fetch(s.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await s.close();
    }
  });
});
