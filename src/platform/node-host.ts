// The Node modules that Node-only features (ImageFolder, MNIST, the weights hub, decodeImage, atomic
// writes) reach through the platform: Node's platform (node.ts) provides them, a browser's has none.
// Kept apart from platform.ts so that the published types reach Node's and pngjs's types only from
// modules that are Node-only anyway (nothing exported names NodeHost).
import type * as crypto from 'node:crypto';
import type * as fs from 'node:fs';
import type * as fsp from 'node:fs/promises';
import type * as nodeModule from 'node:module';
import type * as os from 'node:os';
import type * as path from 'node:path';
import type jpegJs from 'jpeg-js';
import type { PNG } from 'pngjs';
import { PlatformError } from '../errors.js';
import { platform } from './platform.js';

/** The Node modules Node-only features use (absent in a browser). */
export interface NodeHost {
  fs: typeof fs;
  fsp: typeof fsp;
  path: typeof path;
  os: typeof os;
  crypto: typeof crypto;
  createRequire: typeof nodeModule.createRequire;
  /** pngjs (Node streams and zlib): synchronous PNG decoding */
  png: typeof PNG;
  /** jpeg-js (kept out of the browser bundle, which decodes with createImageBitmap) */
  jpeg: typeof jpegJs;
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** The Node modules, or a PlatformError saying `what` needs Node (a browser has no file system to walk). */
export function nodeOnly(what: string): NodeHost {
  const host = platform().node;
  if (!host) throw new PlatformError(`${what} needs Node (files on disk); in a browser pass the bytes instead`);
  return host as NodeHost;
}
