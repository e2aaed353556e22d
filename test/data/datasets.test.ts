// MNIST, ImageFolder (PNG/JPEG written to a temp dir here) and the text-classification CSV.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const { MNIST, ImageFolder, TextClassificationCsv, Vocabulary, DataLoader, DatasetError, transforms: T } = torch.data;

describe('MNIST', () => {
  const all = MNIST();
  it('10,000 images, labels 0-9, pixels in [0, 1] on the 8-bit grid', () => {
    expect(all.length).toBe(10000);
    expect(all.images.length).toBe(10000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of all.labels) counts[l]++;
    expect(counts.every((c) => c > 800)).toBe(true);
    let min = Infinity,
      max = -Infinity,
      offGrid = 0;
    for (const v of all.images) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (Math.fround(Math.round(v * 255) / 255) !== v) offGrid++;
    }
    expect([min, max]).toEqual([0, 1]);
    expect(offGrid).toBe(0);
    const [img, label] = all.get(1234);
    expect([img.channels, img.height, img.width]).toEqual([1, 28, 28]);
    expect(label).toBe(all.labels[1234]);
    expect(img.data.buffer).toBe(all.images.buffer); // a view, not a copy
  });
  it('equals the package data parsed with JSON.parse (digit 7)', () => {
    const dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
    const ref = (JSON.parse(readFileSync(join(dir, 'src/digits/7.json'), 'utf8')) as { data: number[] }).data;
    const start = all.labels.indexOf(7);
    const mine = all.images.subarray(start * 784, start * 784 + ref.length);
    let worst = 0;
    ref.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(mine[i] - v));
    });
    expect(worst).toBeLessThan(0.5 / 255);
    expect(all.labels.lastIndexOf(7) - start + 1).toBe(ref.length / 784);
  });
  it('digits filter, deterministic stratified split, relabel', () => {
    const train = MNIST({ digits: [0, 1, 2, 3, 4], train: true });
    const test = new MNIST({ digits: [0, 1, 2, 3, 4], train: false });
    const every = MNIST({ digits: [0, 1, 2, 3, 4] });
    expect(train.length + test.length).toBe(every.length);
    expect(test.length / every.length).toBeCloseTo(0.2, 2);
    expect(new Set(train.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(new Set(test.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    // the split is a fixed partition: no test image is in train
    const key = (d: { images: Float32Array }, i: number) => {
      const bits = new Uint32Array(d.images.buffer, i * 784 * 4, 784);
      let a = 0,
        b = 0;
      for (let k = 0; k < 784; k++) {
        a = (Math.imul(a, 31) + bits[k]) | 0;
        b = (Math.imul(b, 1000003) ^ bits[k]) | 0;
      }
      return `${a}:${b}`;
    };
    const trainKeys = new Set(Array.from({ length: train.length }, (_, i) => key(train, i)));
    let shared = 0;
    for (let i = 0; i < test.length; i += 7) if (trainKeys.has(key(test, i))) shared++;
    expect(shared).toBe(0);
    const again = MNIST({ digits: [0, 1, 2, 3, 4], train: true });
    expect(again.images.length).toBe(train.images.length);
    expect(again.images.every((v, i) => v === train.images[i])).toBe(true); // (toEqual on 3M values is slow)
    const upper = MNIST({ digits: [5, 6, 7, 8, 9], relabel: true, testFraction: 0.5, train: false });
    expect(new Set(upper.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(() => MNIST({ digits: [3, 10] })).toThrow(/integers 0..9, got 10/);
  });
  it('batches through the DataLoader: [B, 1, 28, 28] float32 and int32 labels', async () => {
    const ds = MNIST({ digits: [1, 7], transform: T.normalize([0.1307], [0.3081]) });
    const loader = new DataLoader(ds, {
      batchSize: 32,
      shuffle: true,
      generator: new torch.Generator(0),
      device: 'cpu',
    });
    for await (const [x, y] of loader) {
      expect(x.shape).toEqual([32, 1, 28, 28]);
      expect(x.dtype).toBe('float32');
      expect(y.dtype).toBe('int32');
      expect(new Set(await y.data()).size).toBe(2);
      x.dispose();
      y.dispose();
      break;
    }
  });
  it('the fast reader falls back to JSON for other number forms and names malformed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ft-mnist-'));
    try {
      const p = join(dir, 'x.json');
      writeFileSync(p, '{"data":[0, 1e-3, 0.5, 1]}');
      expect(Array.from(torch.data.parseDigitFile(p))).toEqual([0, 0, 128 / 255, 1].map(Math.fround));
      writeFileSync(p, '{"data":[0,,1]}');
      expect(() => torch.data.parseDigitFile(p)).toThrow(/cannot parse '.*x\.json'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ImageFolder', () => {
  let root: string;
  const w = 5,
    h = 4;
  const rgba = (seed: number, alpha = 255) => {
    const d = new Uint8Array(w * h * 4);
    for (let p = 0; p < w * h; p++)
      d.set([(p * 13 + seed) % 256, (p * 7 + 2 * seed) % 256, (p * 29 + 3 * seed) % 256, alpha], p * 4);
    return d;
  };
  const png = (data: Uint8Array, colorType: 0 | 2 | 6) => {
    const im = new PNG({ width: w, height: h });
    im.data.set(data);
    return PNG.sync.write(im, { colorType, inputHasAlpha: true });
  };
  const grey = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) grey.set([p * 12, p * 12, p * 12, 255], p * 4);
  // a smooth image so that JPEG's loss stays small
  const smooth = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) smooth.set([100 + 10 * x, 80 + 10 * y, 150, 255], (y * w + x) * 4);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ft-imagefolder-'));
    for (const c of ['dog', 'cat', 'bird']) mkdirSync(join(root, c));
    mkdirSync(join(root, 'cat', 'more'));
    writeFileSync(join(root, 'cat', 'b_rgb.png'), png(rgba(1), 2));
    writeFileSync(join(root, 'cat', 'a_rgba.PNG'), png(rgba(2, 77), 6));
    writeFileSync(join(root, 'cat', 'more', 'c_grey.png'), png(grey, 0));
    writeFileSync(join(root, 'cat', 'notes.txt'), 'not an image');
    writeFileSync(join(root, 'dog', 'd.jpg'), jpeg.encode({ data: smooth, width: w, height: h }, 100).data);
    writeFileSync(join(root, 'dog', 'e.jpeg'), jpeg.encode({ data: grey, width: w, height: h }, 100).data);
    writeFileSync(join(root, 'bird', 'f.png'), png(rgba(3), 2));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // tol in 8-bit levels; 1e-3 is float rounding of level/255*255 (an off-by-one level would be 1)
  const expectPixels = (img: torch.data.Image, src: Uint8Array, tol = 1e-3) => {
    expect([img.channels, img.height, img.width]).toEqual([3, h, w]);
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < w * h; p++) worst = Math.max(worst, Math.abs(img.data[c * w * h + p] * 255 - src[p * 4 + c]));
    expect(worst).toBeLessThanOrEqual(tol);
  };

  it('sorted classes, class indices, files sorted and recursive, extensions case-insensitive', () => {
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
    expect(ds.classToIdx).toEqual({ bird: 0, cat: 1, dog: 2 });
    expect(ds.samples.map(([p, l]) => [p.slice(root.length + 1), l])).toEqual([
      [join('bird', 'f.png'), 0],
      [join('cat', 'a_rgba.PNG'), 1],
      [join('cat', 'b_rgb.png'), 1],
      [join('cat', 'more', 'c_grey.png'), 1],
      [join('dog', 'd.jpg'), 2],
      [join('dog', 'e.jpeg'), 2],
    ]);
    expect(ds.targets).toEqual([0, 1, 1, 1, 2, 2]);
  });
  it('decodes PNG (RGB, RGBA: alpha dropped, grey: replicated) exactly and JPEG closely', () => {
    const ds = new ImageFolder(root);
    expectPixels(ds.get(2)[0], rgba(1));
    expectPixels(ds.get(1)[0], rgba(2, 77));
    expectPixels(ds.get(3)[0], grey);
    expectPixels(ds.get(4)[0], smooth, 6);
    expectPixels(ds.get(5)[0], grey, 6);
    expect(ds.get(4)[1]).toBe(2);
  });
  it("mode 'L' gives one luma channel; a transform pipeline and the loader give [B, C, H, W]", async () => {
    const ds = new ImageFolder(root, { mode: 'L' });
    const [g] = ds.get(3);
    expect(g.channels).toBe(1);
    expect(Array.from(g.data, (v) => Math.round(v * 255))).toEqual(Array.from({ length: w * h }, (_, p) => p * 12));
    const [c] = ds.get(2);
    const src = rgba(1);
    expect(Math.round(c.data[0] * 255)).toBe((src[0] * 19595 + src[1] * 38470 + src[2] * 7471 + 0x8000) >> 16);
    const tf = new ImageFolder(root, {
      transform: T.compose([T.toTensor(), T.resize(6), T.centerCrop(6), T.normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]),
    });
    const loader = new DataLoader(tf, { batchSize: 4, device: 'cpu' });
    const shapes: number[][] = [];
    for await (const [x, y] of loader) {
      shapes.push([...x.shape, ...y.shape]);
      expect(y.dtype).toBe('int32');
      x.dispose();
      y.dispose();
    }
    expect(shapes).toEqual([
      [4, 3, 6, 6, 4],
      [2, 3, 6, 6, 2],
    ]);
  });
  it('a corrupt image: DatasetError naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ft-corrupt-'));
    try {
      mkdirSync(join(dir, 'a'));
      const good = png(rgba(1), 2);
      writeFileSync(join(dir, 'a', 'bad.png'), good.subarray(0, 40)); // truncated
      writeFileSync(join(dir, 'a', 'fake.jpg'), 'hello');
      const ds = new ImageFolder(dir);
      expect(() => ds.get(0)).toThrow(DatasetError);
      expect(() => ds.get(0)).toThrow(/cannot decode image '.*bad\.png'/);
      expect(() => ds.get(1)).toThrow(/cannot decode image '.*fake\.jpg': not a PNG or JPEG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('an empty class folder or no class folder: DatasetError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ft-empty-'));
    try {
      expect(() => new ImageFolder(dir)).toThrow(/couldn't find any class folder in/);
      mkdirSync(join(dir, 'full'));
      mkdirSync(join(dir, 'hollow'));
      writeFileSync(join(dir, 'full', 'x.png'), png(rgba(1), 2));
      writeFileSync(join(dir, 'hollow', 'readme.txt'), 'no images');
      expect(() => new ImageFolder(dir)).toThrow(
        /no valid file for the class folder '.*hollow'; supported extensions are: \.png, \.jpg, \.jpeg/,
      );
      expect(() => new ImageFolder(join(dir, 'missing'))).toThrow(/is not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TextClassificationCsv', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ft-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('RFC 4180: quoted commas, doubled quotes, line breaks in quotes, CRLF, BOM, blank lines', () => {
    const rows = torch.data.parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",\nlast,"q"');
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', ''],
      ['last', 'q'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4, 6]);
    expect(() => torch.data.parseCsv('a,b\n"open,1\n', 'f.csv')).toThrow(
      /f\.csv: unterminated quoted field starting on line 2/,
    );
    expect(() => torch.data.parseCsv('"a"b,c', 'f.csv')).toThrow(
      /line 1: unexpected character "b" after a closing quote/,
    );
  });
  it('vocabulary, padded/truncated ids, int labels, float values; the test file reuses the vocabulary', async () => {
    const train = file(
      'train.csv',
      [
        'label,text,value',
        '1,"Great movie, great cast!",4.5',
        '0,"Boring; the plot ""twists"" were dull",1.25',
        '1,great fun,3',
        '0,"Dull,\nboring",0.5',
      ].join('\n'),
    );
    const ds = new TextClassificationCsv(train, { maxLen: 4 });
    // counts: great 3, boring 2, dull 2, then 1 each (alphabetical)
    expect(ds.vocab.itos.slice(0, 5)).toEqual(['<pad>', '<unk>', 'great', 'boring', 'dull']);
    expect(ds.vocab.lookup('cast')).toBeGreaterThan(4);
    expect(ds.length).toBe(4);
    const [tokens, label, value] = ds.get(0);
    expect(Array.from(tokens)).toEqual([2, ds.vocab.lookup('movie'), 2, ds.vocab.lookup('cast')]);
    expect([label, value]).toEqual([1, 4.5]);
    expect(Array.from(ds.get(3)[0])).toEqual([4, 3, 0, 0]);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1, 0]);
    expect(Array.from(ds.values!)).toEqual([4.5, 1.25, 3, 0.5]);
    const test = new TextClassificationCsv(file('test.csv', 'text,label,value\n"great, unseen words",1,2\n'), {
      vocab: ds.vocab,
      maxLen: 4,
    });
    expect(Array.from(test.get(0)[0])).toEqual([2, 1, 1, 0]);
    const loader = new DataLoader(ds, { batchSize: 3, device: 'cpu' });
    for await (const [x, y, v] of loader) {
      expect([x.dtype, y.dtype, v.dtype]).toEqual(['int32', 'int32', 'float32']);
      expect(x.shape[1]).toBe(4);
      x.dispose();
      y.dispose();
      v.dispose();
    }
    // default maxLen: the longest text of the file
    expect(new TextClassificationCsv(train).maxLen).toBe(6);
  });
  it('minFreq, maxSize and named labels', () => {
    const p = file('named.csv', 'text,label\na a b,pos\na c,neg\nb b d,pos\n');
    expect(new TextClassificationCsv(p, { minFreq: 2 }).vocab.itos).toEqual(['<pad>', '<unk>', 'a', 'b']);
    expect(new TextClassificationCsv(p, { maxSize: 3 }).vocab.itos).toEqual(['<pad>', '<unk>', 'a']);
    const ds = new TextClassificationCsv(p);
    expect(ds.classes).toEqual(['neg', 'pos']);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    expect(ds.values).toBeNull();
    expect(ds.get(0).length).toBe(2);
    expect(() => new TextClassificationCsv(p, { classes: ['pos'] })).toThrow(
      /line 3: label "neg" is not one of the classes \[pos\]/,
    );
    expect(Vocabulary.fromJSON(JSON.parse(JSON.stringify(ds.vocab))).itos).toEqual(ds.vocab.itos);
    expect(torch.data.tokenize("Don't STOP, me-now!")).toEqual(["don't", 'stop', 'me', 'now']);
  });
  it('bad files: errors name the file and line', () => {
    expect(() => new TextClassificationCsv(file('h.csv', 'sentence,label\nx,1\n'))).toThrow(
      /h\.csv: line 1: expected a header with columns text,label\[,value\]/,
    );
    expect(() => new TextClassificationCsv(file('f.csv', 'text,label\nhello, world,1\n'))).toThrow(
      /f\.csv: line 2: 3 fields, but the header has 2/,
    );
    expect(() => new TextClassificationCsv(file('v.csv', 'text,label,value\nx,1,abc\n'))).toThrow(
      /v\.csv: line 2: value "abc" is not a finite number/,
    );
    expect(() => new TextClassificationCsv(join(dir, 'nope.csv'))).toThrow(DatasetError);
  });
});
