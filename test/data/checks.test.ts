// Datasets refuse what would train silently wrong: labels outside [0, numClasses) (named by file,
// line and label, when the dataset is built) and ImageFolder symlink loops (each real folder and file
// is listed once; links back into the root or another class are cut).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const { ImageFolder, TextClassificationCsv, TensorDataset, DatasetError, checkClassLabels } = torch.data;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ft-checks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('labels against the class count', () => {
  it('TextClassificationCsv: an integer label >= numClasses names the file, line and label', () => {
    const p = file('int.csv', 'text,label\ngood,1\nbad,0\nodd,7\n');
    expect(new TextClassificationCsv(p).labels).toEqual(Int32Array.from([1, 0, 7])); // no count given: as written
    expect(new TextClassificationCsv(p, { numClasses: 8 }).length).toBe(3);
    expect(() => new TextClassificationCsv(p, { numClasses: 2 })).toThrow(DatasetError);
    expect(() => new TextClassificationCsv(p, { numClasses: 2 })).toThrow(
      `${p}: line 4: label 7 is out of range for 2 classes (labels must be 0..1)`,
    );
    expect(() => new TextClassificationCsv(file('neg.csv', 'text,label\na,-1\n'), { numClasses: 2 })).toThrow(
      /line 2: label -1 is out of range for 2 classes/,
    );
    expect(() => new TextClassificationCsv(p, { numClasses: 0 })).toThrow(
      /numClasses must be a positive integer, got 0/,
    );
  });
  it('TextClassificationCsv: more label names than numClasses', () => {
    const p = file('names.csv', 'text,label\na,pos\nb,neg\nc,meh\n');
    expect(() => new TextClassificationCsv(p, { numClasses: 2 })).toThrow(
      `${p}: 3 label names [meh, neg, pos] but numClasses is 2`,
    );
    expect(new TextClassificationCsv(p, { numClasses: 3 }).classes).toEqual(['meh', 'neg', 'pos']);
  });
  it('ImageFolder: more class folders than numClasses', () => {
    const root = join(dir, 'three');
    for (const c of ['a', 'b', 'c']) {
      mkdirSync(join(root, c), { recursive: true });
      writeFileSync(join(root, c, 'x.png'), '');
    }
    expect(() => new ImageFolder(root, { numClasses: 2 })).toThrow(
      `ImageFolder: '${root}' has 3 class folders (a, b, c) but numClasses is 2`,
    );
    expect(new ImageFolder(root, { numClasses: 3 }).length).toBe(3);
  });
  it('checkClassLabels: any dataset (a TensorDataset knows no classes)', () => {
    const ds = new TensorDataset(
      { data: new Float32Array(6), shape: [3, 2] },
      { data: Int32Array.from([0, 2, 1]), shape: [3] },
    );
    expect(() => checkClassLabels(ds, 3)).not.toThrow();
    expect(() => checkClassLabels(ds, 2)).toThrow(/sample 1, field 1: label 2 is out of range for 2 classes/);
  });
});

describe('ImageFolder and symbolic links', () => {
  it('follows links once and cuts loops (to itself, to the root, to an ancestor, into another class)', () => {
    const root = join(dir, 'links');
    const outside = join(dir, 'outside');
    mkdirSync(join(root, 'cat'), { recursive: true });
    mkdirSync(join(root, 'dog', 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'cat', '1.png'), '');
    writeFileSync(join(root, 'dog', '2.png'), '');
    writeFileSync(join(root, 'dog', 'sub', '3.png'), '');
    writeFileSync(join(outside, '4.png'), '');
    symlinkSync('.', join(root, 'cat', 'self'));
    symlinkSync('..', join(root, 'cat', 'root'));
    symlinkSync(join(root, 'dog'), join(root, 'cat', 'dogs'));
    symlinkSync('..', join(root, 'dog', 'sub', 'up'));
    symlinkSync(outside, join(root, 'dog', 'ext')); // a linked folder outside the root: listed once
    symlinkSync(outside, join(root, 'dog', 'ext2'));
    symlinkSync(join(root, 'cat', '1.png'), join(root, 'dog', 'same.png')); // a file already in cat
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect(ds.samples).toEqual([
      [join(root, 'cat', '1.png'), 0],
      [join(root, 'dog', '2.png'), 1],
      [join(root, 'dog', 'ext', '4.png'), 1],
      [join(root, 'dog', 'sub', '3.png'), 1],
    ]);
  });
});
