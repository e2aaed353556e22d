// Node side of digits.bin: picks the page's images from the `mnist` package with the demo's split
// (examples/demo.ts fewShot): the first 50 of each digit 5–9 in MNIST's training split to train on,
// 250 other training-split images to validate on, and 250 evenly spaced test-split images for the
// accuracy line. Imports only the Node platform and the data loader (no device is acquired).
import '../../src/platform/node.js';
import { MNIST, type MNISTDataset } from '../../src/data/mnist.js';
import { type DigitSets, type DigitSplit, encodeDigits, PIXELS } from './digits.js';

export const PER_CLASS = 50,
  VAL_SIZE = 250,
  TEST_SIZE = 250;
const DIGITS = [5, 6, 7, 8, 9];

function take(ds: MNISTDataset, idx: number[]): DigitSplit {
  const images = new Float32Array(idx.length * PIXELS);
  idx.forEach((i, k) => {
    images.set(ds.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
  });
  return { images, digits: Uint8Array.from(idx, (i) => ds.labels[i]) };
}

export function pickDigits(): DigitSets {
  const train = MNIST({ digits: DIGITS, train: true });
  const picked: number[] = [],
    rest: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < train.length; i++) {
    const d = train.labels[i];
    const c = seen.get(d) ?? 0;
    if (c < PER_CLASS) {
      seen.set(d, c + 1);
      picked.push(i);
    } else rest.push(i);
  }
  const valStride = Math.max(1, Math.floor(rest.length / VAL_SIZE));
  const val = rest.filter((_, i) => i % valStride === 0).slice(0, VAL_SIZE);
  const test = MNIST({ digits: DIGITS, train: false });
  const testStride = test.length / TEST_SIZE; // fractional, so the picks reach digit 9 at the end
  return {
    train: take(train, picked),
    val: take(train, val),
    test: take(
      test,
      Array.from({ length: TEST_SIZE }, (_, i) => Math.floor(i * testStride)),
    ),
  };
}

export function digitsBin(): Uint8Array {
  return encodeDigits(pickDigits());
}
