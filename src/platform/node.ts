// The Node platform (platform.ts): process.env, setImmediate, the GPU from the `webgpu` package
// (node-gpu.ts, behind Dawn's stderr filter), polite waiting on Dawn's polling loop, files on disk
// written beside the target and renamed into place, the autotune cache as a JSON file, stdout, SIGINT.
// src/index.ts imports this first; nothing reachable from the browser entry imports it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { removeStaleTemps, tempPathFor } from '../io/temp-files.js';
import { nodeGpu } from '../kernels/webgpu/node-gpu.js';
import { politeWait } from '../kernels/webgpu/polite-wait.js';
import type { NodeHost } from './node-host.js';
import { setPlatform, type FileStore, type Platform, type TuneCacheEntry, type TuneCacheStore } from './platform.js';

/** Write `data` to `<name>.<pid>.tmp` beside `name` and rename it into place (a crash mid-write never
 *  leaves a truncated file); temp files of dead writers of the same target are removed first. */
async function writeAtomic(name: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  await removeStaleTemps(name);
  const tmp = tempPathFor(name);
  const fh = await fsp.open(tmp, 'w');
  try {
    const chunks =
      typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) {
      let done = 0;
      while (done < c.length) done += (await fh.write(c, done, c.length - done)).bytesWritten;
    }
    await fh.close();
    await fsp.rename(tmp, name);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

const files: FileStore = {
  read: (name) => fsp.readFile(name),
  write: writeAtomic,
  append: (name, text) => fsp.appendFile(name, text),
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true });
  },
  join: (dir, name) => path.join(dir, name),
};

/** $XDG_CACHE_HOME/finetorch/autotune.json, else ~/.cache/finetorch/autotune.json (read per call: tests move it). */
export function tuneCachePath(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'finetorch', 'autotune.json');
}

const tuneCache: TuneCacheStore = {
  get where() {
    return tuneCachePath();
  },
  load: async () => undefined,
  read() {
    try {
      const parsed = JSON.parse(fs.readFileSync(tuneCachePath(), 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, TuneCacheEntry>) : {};
    } catch {
      return {}; // missing or unreadable: tune again
    }
  },
  write(entries) {
    const file = tuneCachePath();
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // merge with what another process may have written meanwhile; rename is atomic
      const merged = { ...tuneCache.read(), ...entries };
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
      fs.renameSync(tmp, file);
    } catch (e) {
      console.warn(`finetorch: could not write the autotune cache ${file}: ${(e as Error).message}`);
    }
  },
};

const host: NodeHost = { fs, fsp, path, os, crypto, createRequire, png: PNG, jpeg, stderr: process.stderr };

export const nodePlatform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  nextTask: () => new Promise((r) => setImmediate(r)),
  gpu: nodeGpu,
  politeWait,
  files,
  tuneCache,
  stdout: process.stdout,
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    return () => void process.off('SIGINT', handler);
  },
  exit: (code) => process.exit(code),
  node: host,
};

setPlatform(nodePlatform);
