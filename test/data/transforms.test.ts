// Transforms against torchvision 0.14 (tools/reference/transforms.py), plus the seeded random ones.
import { describe, expect, it } from 'vitest';
import { expectClose, fixture, TOL, torch } from '../harness.js';

const { transforms: T } = torch.data;
const F = T.functional;
type Image = torch.data.Image;

const fx = fixture('data/transforms');
const cases = JSON.parse(fx.metadata.cases) as Record<
  string,
  { input: string; op: string; args: Record<string, unknown> }
>;
const image = (name: string): Image => {
  const t = fx.tensors[`in_${name}`];
  const [channels, height, width] = t.shape;
  return { data: t.dataSync() as Float32Array, channels, height, width };
};
const shapeOf = (img: Image) => [img.channels, img.height, img.width];

async function expectImage(actual: Image, name: string): Promise<void> {
  const e = fx.tensors[name];
  expect(shapeOf(actual), `${name} shape`).toEqual(e.shape);
  await expectClose(actual.data, e, TOL, name);
}

function run(op: string, img: Image, a: Record<string, unknown>): Image {
  switch (op) {
    case 'resize':
      return T.resize(a.size as number | number[], { maxSize: (a.maxSize as number | null) ?? undefined })(img);
    case 'centerCrop':
      return T.centerCrop(a.size as number | number[])(img);
    case 'pad':
      return F.pad(img, a.padding as number | number[]);
    case 'crop': {
      const [t, l, h, w] = a.box as number[];
      return F.crop(img, t, l, h, w);
    }
    case 'hflip':
      return F.hflip(img);
    case 'normalize':
      return T.normalize(a.mean as number[], a.std as number[])(img);
    case 'compose':
      return T.compose<Image, Image>([
        T.resize(a.resize as number),
        T.centerCrop(a.centerCrop as number),
        T.normalize(a.mean as number[], a.std as number[]),
      ])(img);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

describe('transforms vs torchvision', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.op} ${JSON.stringify(c.args)}`, async () => {
      const input = image(c.input);
      const before = input.data.slice();
      await expectImage(run(c.op, input, c.args), name);
      expect(input.data, 'input left unchanged').toEqual(before);
    });
  }

  it('toTensor: HWC uint8 → CHW float in [0, 1]', async () => {
    const u8 = fx.tensors.in_u8;
    const [height, width, channels] = u8.shape;
    const out = T.toTensor()({ data: Uint8Array.from(u8.dataSync()), height, width, channels });
    await expectImage(out, 'to_tensor_u8');
  });

  it('the int size rule matches the smaller edge', () => {
    expect(F.resizedSize(5, 7, 3)).toEqual([3, 4]);
    expect(F.resizedSize(8, 6, 4)).toEqual([5, 4]);
    expect(F.resizedSize(8, 6, 13, 15)).toEqual([15, 11]);
    expect(F.resizedSize(8, 6, [4])).toEqual([5, 4]);
    expect(() => F.resizedSize(8, 6, 13, 13)).toThrow(/maxSize = 13/);
    expect(() => F.resizedSize(8, 6, [2, 3], 9)).toThrow(torch.ArgumentError);
  });

  it('errors name the sizes', () => {
    const a = image('a');
    expect(() => T.normalize([0.5, 0.5], [1, 1])(a)).toThrow(/2 values for an image with 3 channels/);
    expect(() => T.normalize([0], [0])(a)).toThrow(/std evaluated to zero/);
    expect(() => T.randomCrop(9)(a)).toThrow(/\[9, 9\] is larger than the \(padded\) image size \[5, 7\]/);
    expect(() => F.pad(a, [1, 2, 3])).toThrow(/3 element list/);
  });
});

describe('random transforms', () => {
  const a = image('a');
  const padded = F.pad(a, 2); // 3x9x11

  it('randomCrop: every output is a window of the padded image, seeded, all offsets reachable', () => {
    const crop = T.randomCrop([5, 7], { padding: 2, generator: new torch.Generator(7) });
    const again = T.randomCrop([5, 7], { padding: 2, generator: new torch.Generator(7) });
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const out = crop(a);
      expect(again(a).data).toEqual(out.data);
      expect(shapeOf(out)).toEqual([3, 5, 7]);
      let found = '';
      for (let i = 0; i <= 4 && !found; i++)
        for (let j = 0; j <= 4 && !found; j++) {
          const w = F.crop(padded, i, j, 5, 7).data;
          if (w.every((v, q) => v === out.data[q])) found = `${i},${j}`;
        }
      expect(found, 'a window of the padded image').not.toBe('');
      seen.add(found);
    }
    expect(seen.size).toBe(25);
  });

  it('randomCrop padIfNeeded pads small images up to the crop', () => {
    const out = T.randomCrop([7, 9], { padIfNeeded: true, generator: new torch.Generator(1) })(a);
    expect(shapeOf(out)).toEqual([3, 7, 9]);
  });

  it('randomHorizontalFlip(p) flips with probability p, reproducibly', () => {
    const flipped = F.hflip(a);
    const count = (seed: number, p: number) => {
      const t = T.randomHorizontalFlip(p, { generator: new torch.Generator(seed) });
      const pattern: number[] = [];
      for (let k = 0; k < 400; k++) {
        const out = t(a);
        const f = out.data.every((v, q) => v === flipped.data[q]);
        const same = out.data.every((v, q) => v === a.data[q]);
        expect(f !== same).toBe(true);
        pattern.push(+f);
      }
      return pattern;
    };
    const p = count(3, 0.5);
    expect(count(3, 0.5)).toEqual(p);
    const frac = p.reduce((s, x) => s + x, 0) / p.length;
    expect(frac).toBeGreaterThan(0.4);
    expect(frac).toBeLessThan(0.6);
    expect(count(3, 0).every((x) => x === 0)).toBe(true);
    expect(count(3, 1).every((x) => x === 1)).toBe(true);
  });
});
