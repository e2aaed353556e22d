// The zip container of PyTorch checkpoints (torch.save since 1.6), read defensively and written the
// way torch writes it. The container structure is parsed here (it is small) so that STORED records
// (all torch ever writes) come back as zero-copy views and every offset, size and overlap is checked
// against the file; DEFLATE records (from re-zipped files) are inflated by fflate's streaming
// `Inflate`, fed in small slices into a buffer of the declared size, so a zip bomb is cut off at
// its declared size instead of growing memory.
import { Inflate } from 'fflate';
import { CheckpointError } from '../errors.js';

export interface ZipLimits {
  /** most entries a central directory may list */
  maxEntries: number;
  /** most bytes one DEFLATE entry may inflate to */
  maxInflatedEntry: number;
  /** most bytes all DEFLATE entries together may inflate to */
  maxInflatedTotal: number;
}
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000_000,
  maxInflatedEntry: 2 ** 31,
  maxInflatedTotal: 2 ** 33,
};

/** DEFLATE cannot expand better than about 1032:1; a larger declared ratio is a lie */
const MAX_DEFLATE_RATIO = 1032;

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  dataStart: number;
}

const SIG_LOCAL = 0x04034b50,
  SIG_CENTRAL = 0x02014b50,
  SIG_EOCD = 0x06054b50,
  SIG_EOCD64 = 0x06064b50,
  SIG_LOC64 = 0x07064b50;

const CRC_TABLE = (() => {
  const t = new Int32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  // slicing-by-4 tables: four bytes per step
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  return t;
})();

/** CRC-32 (IEEE, as zip uses), optionally continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = CRC_TABLE;
  let c = ~crc;
  let i = 0;
  const n4 = data.length & ~3;
  for (; i < n4; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private inflatedTotal = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  ) {
    const len = bytes.length;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u16 = (o: number) => dv.getUint16(o, true),
      u32 = (o: number) => dv.getUint32(o, true);
    const u64 = (o: number, what: string) => {
      const v = dv.getBigUint64(o, true);
      if (v > BigInt(len))
        throw new CheckpointError(`zip: ${what} ${v} at offset ${o} is larger than the ${len}-byte file`);
      return Number(v);
    };
    // end of central directory: 22 bytes plus a comment of up to 65535 bytes, found from the end
    let eocd = -1;
    for (let o = len - 22; o >= 0 && o >= len - 22 - 65535; o--) {
      if (u32(o) === SIG_EOCD && o + 22 + u16(o + 20) === len) {
        eocd = o;
        break;
      }
    }
    if (eocd < 0)
      throw new CheckpointError(
        `zip: no end-of-central-directory record between offsets ${Math.max(0, len - 65557)} and ${len} (the end of the file): truncated?`,
      );
    let count = u16(eocd + 10),
      cdSize = u32(eocd + 12),
      cdOffset = u32(eocd + 16);
    let cdLimit = eocd;
    if (eocd >= 20 && u32(eocd - 20) === SIG_LOC64) {
      // zip64 (torch always writes it): the locator points at the zip64 end-of-central-directory record
      const at = u64(eocd - 20 + 8, 'zip64 end-of-central-directory offset');
      if (at + 56 > eocd - 20 || u32(at) !== SIG_EOCD64)
        throw new CheckpointError(
          `zip: zip64 end-of-central-directory record expected at offset ${at} (named by the locator at offset ${eocd - 20}) is missing`,
        );
      const c64 = dv.getBigUint64(at + 32, true);
      if (c64 > BigInt(limits.maxEntries))
        throw new CheckpointError(
          `zip: ${c64} entries (zip64 record at offset ${at}) exceed the limit of ${limits.maxEntries}`,
        );
      count = Number(c64);
      cdSize = u64(at + 40, 'central directory size');
      cdOffset = u64(at + 48, 'central directory offset');
      cdLimit = at;
    }
    if (count > limits.maxEntries)
      throw new CheckpointError(`zip: ${count} entries exceed the limit of ${limits.maxEntries}`);
    if (cdOffset + cdSize > cdLimit)
      throw new CheckpointError(
        `zip: central directory at offsets ${cdOffset}..${cdOffset + cdSize} runs past its end record at offset ${cdLimit} (truncated?)`,
      );
    if (count * 46 > cdSize)
      throw new CheckpointError(
        `zip: central directory of ${cdSize} bytes at offset ${cdOffset} cannot hold the ${count} entries it declares`,
      );
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    let p = cdOffset;
    const cdEnd = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdEnd || u32(p) !== SIG_CENTRAL)
        throw new CheckpointError(`zip: central directory entry ${i} expected at offset ${p} is missing or malformed`);
      const flags = u16(p + 8),
        method = u16(p + 10),
        crc = u32(p + 16);
      let compressedSize = u32(p + 20),
        size = u32(p + 24);
      const nameLen = u16(p + 28),
        extraLen = u16(p + 30),
        commentLen = u16(p + 32);
      let localOffset = u32(p + 42);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > cdEnd)
        throw new CheckpointError(
          `zip: central directory entry ${i} at offset ${p} runs past the directory's end at offset ${cdEnd}`,
        );
      let name: string;
      try {
        name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
      } catch {
        throw new CheckpointError(`zip: entry name at offset ${p + 46} is not valid UTF-8`);
      }
      if (flags & 1) throw new CheckpointError(`zip: entry '${name}' (central directory offset ${p}) is encrypted`);
      // zip64 extended information: present fields replace the 0xFFFFFFFF placeholders, in order
      if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
        let e = p + 46 + nameLen;
        const eEnd = e + extraLen;
        let found = false;
        while (e + 4 <= eEnd) {
          const id = u16(e),
            sz = u16(e + 2);
          if (e + 4 + sz > eEnd) break;
          if (id === 1) {
            let f = e + 4;
            const take = (what: string) => {
              if (f + 8 > e + 4 + sz)
                throw new CheckpointError(
                  `zip: zip64 field for entry '${name}' at offset ${e} is too short for its ${what}`,
                );
              const v = u64(f, `zip64 ${what} of entry '${name}'`);
              f += 8;
              return v;
            };
            if (size === 0xffffffff) size = take('size');
            if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
            if (localOffset === 0xffffffff) localOffset = take('local header offset');
            found = true;
            break;
          }
          e += 4 + sz;
        }
        if (!found)
          throw new CheckpointError(
            `zip: entry '${name}' (central directory offset ${p}) uses zip64 sizes but has no zip64 extra field`,
          );
      }
      if (this.entries.has(name))
        throw new CheckpointError(`zip: entry '${name}' appears twice (second at central directory offset ${p})`);
      if (method !== 0 && method !== 8)
        throw new CheckpointError(
          `zip: entry '${name}' uses compression method ${method}; only STORED (0) and DEFLATE (8) are supported`,
        );
      if (method === 0 && compressedSize !== size)
        throw new CheckpointError(
          `zip: STORED entry '${name}' declares ${compressedSize} stored bytes but a size of ${size}`,
        );
      if (method === 8) {
        if (size > limits.maxInflatedEntry)
          throw new CheckpointError(
            `zip: entry '${name}' declares ${size} uncompressed bytes, over the ${limits.maxInflatedEntry}-byte limit (zip bomb?)`,
          );
        if (size > Math.max(compressedSize, 1) * MAX_DEFLATE_RATIO)
          throw new CheckpointError(
            `zip: entry '${name}' declares ${size} uncompressed bytes from ${compressedSize} compressed ones, a ratio DEFLATE cannot reach (zip bomb?)`,
          );
      }
      // the local header repeats the name; its own extra field (torch pads with one) sets where data starts
      if (localOffset + 30 > cdOffset || u32(localOffset) !== SIG_LOCAL)
        throw new CheckpointError(`zip: local header of entry '${name}' expected at offset ${localOffset} is missing`);
      const lNameLen = u16(localOffset + 26),
        lExtraLen = u16(localOffset + 28);
      const dataStart = localOffset + 30 + lNameLen + lExtraLen;
      if (lNameLen !== nameLen || dataStart > cdOffset || !sameBytes(bytes, localOffset + 30, p + 46, nameLen)) {
        throw new CheckpointError(
          `zip: local header at offset ${localOffset} does not match central directory entry '${name}'`,
        );
      }
      if (dataStart + compressedSize > cdOffset)
        throw new CheckpointError(
          `zip: data of entry '${name}' (offsets ${dataStart}..${dataStart + compressedSize}) runs into the central directory at offset ${cdOffset} (truncated?)`,
        );
      this.entries.set(name, { name, method, crc, compressedSize, size, localOffset, dataStart });
      p = next;
    }
    // entries must not share bytes: overlapping entries are how non-recursive zip bombs multiply data
    const sorted = [...this.entries.values()].sort((a, b) => a.localOffset - b.localOffset);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1],
        b = sorted[i];
      if (b.localOffset < a.dataStart + a.compressedSize)
        throw new CheckpointError(
          `zip: entries '${a.name}' and '${b.name}' overlap at offset ${b.localOffset} (zip bomb?)`,
        );
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** An entry's bytes: a view into the file for STORED entries, a fresh buffer for DEFLATE. CRC checked. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError(`zip: no entry '${name}'`);
    const raw = this.bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
    const out = e.method === 0 ? raw : this.inflate(e, raw);
    const crc = crc32(out);
    if (crc !== e.crc)
      throw new CheckpointError(
        `zip: entry '${name}' (data at offset ${e.dataStart}) fails its CRC-32 check (0x${crc.toString(16)} != 0x${e.crc.toString(16)}): the file is corrupt`,
      );
    return out;
  }

  private inflate(e: ZipEntry, raw: Uint8Array): Uint8Array {
    if (this.inflatedTotal + e.size > this.limits.maxInflatedTotal)
      throw new CheckpointError(
        `zip: inflating entry '${e.name}' would exceed the ${this.limits.maxInflatedTotal}-byte total limit (zip bomb?)`,
      );
    this.inflatedTotal += e.size;
    const out = new Uint8Array(e.size);
    let n = 0,
      done = false;
    const inf = new Inflate((chunk, final) => {
      if (n + chunk.length > out.length)
        throw new CheckpointError(`zip: entry '${e.name}' inflates past its declared ${e.size} bytes (zip bomb?)`);
      out.set(chunk, n);
      n += chunk.length;
      if (final) done = true;
    });
    // small input slices bound the work done before the size check can stop a bomb
    const SLICE = 16384;
    try {
      for (let i = 0; i < raw.length; i += SLICE)
        inf.push(raw.subarray(i, Math.min(raw.length, i + SLICE)), i + SLICE >= raw.length);
      if (raw.length === 0) inf.push(raw, true);
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(
        `zip: entry '${e.name}' (data at offset ${e.dataStart}) is not valid DEFLATE data: ${(err as Error).message}`,
      );
    }
    if (!done || n !== e.size)
      throw new CheckpointError(`zip: entry '${e.name}' inflates to ${n} bytes, not the ${e.size} it declares`);
    return out;
  }
}

function sameBytes(b: Uint8Array, x: number, y: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

/** One file of a zip to write. */
export interface ZipInput {
  name: string;
  data: Uint8Array;
}

/**
 * A STORED zip the way PyTorch's writer lays it out: each record's data starts on a 64-byte boundary
 * (padded with an extra field "FB" of 'Z's, as torch does), sizes and CRC in the local header. Past
 * 65,534 records or 4 GiB the archive is zip64, as torch's own writer (miniz) makes it: a zip64 end
 * record and locator before the plain end record, whose overflowing fields read 0xFFFF(FFFF), and a
 * zip64 extra field on each central record whose offset is past 4 GiB. One record of 4 GiB or more
 * is refused (no tensor here is that large).
 */
export function zipChunks(files: readonly ZipInput[]): Uint8Array[] {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const f of files) {
    if (f.data.length >= 0xffffffff)
      throw new CheckpointError(
        `zip: record '${f.name}' of ${f.data.length} bytes is too large for one zip record here (4 GiB at most)`,
      );
    const name = enc.encode(f.name);
    const crc = crc32(f.data);
    const pad = (64 - ((off + 30 + name.length + 4) % 64)) % 64;
    const local = new Uint8Array(30 + name.length + 4 + pad);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, SIG_LOCAL, true);
    dv.setUint16(4, 20, true); // version needed: 2.0
    dv.setUint16(6, 0x0800, true); // names are UTF-8
    dv.setUint16(8, 0, true); // STORED
    dv.setUint16(10, 0, true);
    dv.setUint16(12, 0x21, true); // 1980-01-01 00:00, as torch
    dv.setUint32(14, crc, true);
    dv.setUint32(18, f.data.length, true);
    dv.setUint32(22, f.data.length, true);
    dv.setUint16(26, name.length, true);
    dv.setUint16(28, 4 + pad, true);
    local.set(name, 30);
    dv.setUint16(30 + name.length, 0x4246, true); // "FB"
    dv.setUint16(32 + name.length, pad, true);
    local.fill(0x5a, 34 + name.length);
    // a local header past 4 GiB is named by a zip64 extra field holding its offset
    const far = off >= 0xffffffff;
    const c = new Uint8Array(46 + name.length + (far ? 12 : 0));
    const cv = new DataView(c.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, far ? 45 : 20, true);
    cv.setUint16(6, far ? 45 : 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, far ? 12 : 0, true);
    cv.setUint32(42, far ? 0xffffffff : off, true);
    c.set(name, 46);
    if (far) {
      cv.setUint16(46 + name.length, 1, true);
      cv.setUint16(48 + name.length, 8, true);
      cv.setBigUint64(50 + name.length, BigInt(off), true);
    }
    central.push(c);
    chunks.push(local, f.data);
    off += local.length + f.data.length;
  }
  let cdSize = 0;
  for (const c of central) cdSize += c.length;
  const zip64 = files.length > 0xfffe || off + cdSize > 0xfffffffe;
  const tail: Uint8Array[] = [];
  if (zip64) {
    const rec = new Uint8Array(56 + 20);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, SIG_EOCD64, true);
    rv.setBigUint64(4, 44n, true); // size of the rest of this record
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true); // version made by / needed: 4.5 (zip64)
    rv.setBigUint64(24, BigInt(files.length), true);
    rv.setBigUint64(32, BigInt(files.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(off), true);
    // the locator: where the zip64 end record starts
    rv.setUint32(56, SIG_LOC64, true);
    rv.setBigUint64(64, BigInt(off + cdSize), true);
    rv.setUint32(72, 1, true); // one disk
    tail.push(rec);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, Math.min(files.length, 0xffff), true);
  ev.setUint16(10, Math.min(files.length, 0xffff), true);
  ev.setUint32(12, zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, zip64 ? 0xffffffff : off, true);
  tail.push(end);
  return [...chunks, ...central, ...tail];
}
