// An in-memory origin-private file system with the members src/platform/opfs.ts uses (directory
// and file handles, createWritable with keepExistingData/seek/write/close/abort), so the browser
// platform's files run under Node. A write becomes visible only on close, as in the browser.

class FakeWritable {
  private parts: Uint8Array;
  private at = 0;
  constructor(
    private readonly file: FakeFile,
    keep: boolean,
  ) {
    this.parts = keep ? file.bytes.slice() : new Uint8Array(0);
  }
  async seek(p: number) {
    this.at = p;
  }
  async write(d: Uint8Array) {
    const end = this.at + d.length;
    if (end > this.parts.length) {
      const n = new Uint8Array(end);
      n.set(this.parts);
      this.parts = n;
    }
    this.parts.set(d, this.at);
    this.at = end;
  }
  async close() {
    this.file.bytes = this.parts;
  }
  async abort() {}
}

class FakeFile {
  bytes: Uint8Array = new Uint8Array(0);
  async getFile() {
    return new Blob([this.bytes as Uint8Array<ArrayBuffer>]);
  }
  async createWritable(o: { keepExistingData: boolean }) {
    return new FakeWritable(this, o.keepExistingData);
  }
}

const notFound = () =>
  Object.assign(new Error('A requested file or directory could not be found'), { name: 'NotFoundError' });

export class FakeDir {
  readonly dirs = new Map<string, FakeDir>();
  readonly files = new Map<string, FakeFile>();
  async getDirectoryHandle(name: string, o: { create: boolean }) {
    if (!this.dirs.has(name)) {
      if (!o.create) throw notFound();
      this.dirs.set(name, new FakeDir());
    }
    return this.dirs.get(name)!;
  }
  async getFileHandle(name: string, o: { create: boolean }) {
    if (!this.files.has(name)) {
      if (!o.create) throw notFound();
      this.files.set(name, new FakeFile());
    }
    return this.files.get(name)!;
  }
}

/** Put a fresh fake behind navigator.storage.getDirectory; returns its root and the undo. */
export function installFakeOpfs(): { root: FakeDir; restore: () => void } {
  const root = new FakeDir();
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    value: { storage: { getDirectory: async () => root } },
    configurable: true,
    writable: true,
  });
  return {
    root,
    restore: () =>
      desc
        ? Object.defineProperty(globalThis, 'navigator', desc)
        : delete (globalThis as { navigator?: unknown }).navigator,
  };
}
