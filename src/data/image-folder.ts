// ImageFolder: root/<class>/**/<image>, as torchvision's. Class names are the sorted sub-folder names
// and map to indices 0..K-1; files are listed once (sorted, recursively, by extension) and decoded
// lazily in `get` (PNG via pngjs, JPEG via jpeg-js: pure JS, no native build).
import { nodeOnly } from '../platform/node-host.js';
import { checkIndex, type Dataset } from './dataset.js';
import { DatasetError } from './errors.js';
import { decodeImage, type ColorMode, type Image, type RawImage } from './image.js';
import { toImage } from './image-ops.js';
import { checkNumClasses } from './labels.js';

export const IMG_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface ImageFolderOptions<X> {
  /** decoded HWC uint8 image → sample (default: `toTensor`, a CHW float image in [0, 1]) */
  transform?: (img: RawImage) => X;
  /** file extensions to include, case-insensitive (default .png .jpg .jpeg) */
  extensions?: readonly string[];
  /** 'RGB' (default; grey replicated, alpha dropped, like torchvision's loader) or 'L' (luma) */
  mode?: ColorMode;
  /** the model's class count: more class folders than this is an error (their labels would be out of range) */
  numClasses?: number;
}

// a folder on disk: Node's file system (a browser has none to walk; decode bytes with decodeImage)
const host = () => nodeOnly('ImageFolder');
const isDir = (p: string) => {
  try {
    return host().fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};
// Python's sorted() on str compares code points; `<` on JS strings compares UTF-16 units, the same
// order for every character outside the astral planes.
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const realpath = (p: string) => {
  try {
    return host().fs.realpathSync(p);
  } catch {
    return null;
  }
};

/**
 * Every file under `dir` with an allowed extension: folders in sorted path order, names sorted.
 * Symbolic links are followed, but each real folder and file is taken once (`seen`, shared by all
 * classes and holding the root and every class folder from the start): a link back to an ancestor
 * or into another class would otherwise repeat files forever or give them the wrong label.
 */
function walk(dir: string, extensions: readonly string[], seen: Set<string>): string[] {
  const roots: [string, string[]][] = [];
  const visit = (d: string) => {
    const files: string[] = [];
    for (const e of host().fs.readdirSync(d, { withFileTypes: true })) {
      const p = host().path.join(d, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(p))) {
        const real = realpath(p);
        if (real === null || seen.has(real)) continue;
        seen.add(real);
        visit(p);
      } else if (extensions.some((x) => e.name.toLowerCase().endsWith(x))) {
        const real = realpath(p) ?? p;
        if (seen.has(real)) continue;
        seen.add(real);
        files.push(e.name);
      }
    }
    roots.push([d, files.sort(byName)]);
  };
  visit(dir);
  roots.sort((a, b) => byName(a[0], b[0]));
  return roots.flatMap(([d, files]) => files.map((f) => host().path.join(d, f)));
}

export class ImageFolder<X = Image> implements Dataset<[X, number]> {
  /** sorted class (sub-folder) names; the label of a sample is its index here */
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  /** [path, label] of every image, class by class */
  readonly samples: [string, number][];
  readonly targets: number[];
  readonly dtypes = [undefined, 'int32'] as const;
  private readonly transform: (img: RawImage) => X;
  private readonly mode: ColorMode;

  constructor(
    readonly root: string,
    o: ImageFolderOptions<X> = {},
  ) {
    host(); // a browser: say so, not 'not a directory'
    if (!isDir(root)) throw new DatasetError(`ImageFolder: '${root}' is not a directory`);
    const extensions = (o.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    this.classes = host()
      .fs.readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDir(host().path.join(root, e.name))))
      .map((e) => e.name)
      .sort(byName);
    if (this.classes.length === 0) throw new DatasetError(`ImageFolder: couldn't find any class folder in '${root}'`);
    checkNumClasses(o.numClasses, 'ImageFolder');
    if (o.numClasses !== undefined && this.classes.length > o.numClasses) {
      throw new DatasetError(
        `ImageFolder: '${root}' has ${this.classes.length} class folders (${this.classes.join(', ')}) but numClasses is ${o.numClasses}`,
      );
    }
    this.classToIdx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    this.samples = [];
    const empty: string[] = [];
    const seen = new Set([root, ...this.classes.map((c) => host().path.join(root, c))].map((p) => realpath(p) ?? p));
    this.classes.forEach((c, label) => {
      const files = walk(host().path.join(root, c), extensions, seen);
      if (files.length === 0) empty.push(host().path.join(root, c));
      for (const f of files) this.samples.push([f, label]);
    });
    if (empty.length) {
      throw new DatasetError(
        `ImageFolder: found no valid file for the class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `'${e}'`).join(', ')}; supported extensions are: ${extensions.join(', ')}`,
      );
    }
    this.targets = this.samples.map((s) => s[1]);
    this.transform = o.transform ?? (toImage as unknown as (img: RawImage) => X);
    this.mode = o.mode ?? 'RGB';
  }

  get length(): number {
    return this.samples.length;
  }

  /** The decoded (untransformed) image `i`. */
  load(i: number): RawImage {
    checkIndex(i, this.samples.length, 'ImageFolder');
    const path = this.samples[i][0];
    let bytes: Uint8Array;
    try {
      bytes = host().fs.readFileSync(path);
    } catch (e) {
      throw new DatasetError(`ImageFolder: cannot read '${path}': ${(e as Error).message}`);
    }
    return decodeImage(bytes, path, this.mode);
  }

  get(i: number): [X, number] {
    return [this.transform(this.load(i)), this.samples[i][1]];
  }
}
