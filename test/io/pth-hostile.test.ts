// Hostile .pth input: code-running pickles, malformed pickles, truncated and corrupt zips, zip
// bombs, deep nesting. Each must throw a CheckpointError naming the problem and where it is.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/io/index.js';
import { loadPth } from '../../src/io/pth.js';
import { unpickle } from '../../src/io/pickle/index.js';
import { ZipReader } from '../../src/io/zip.js';
import { torch } from '../harness.js';
import {
  binget,
  binput,
  dictPickle,
  f32bytes,
  global,
  int,
  OP,
  pk,
  pthBytes,
  readFixture,
  str,
  tensorCall,
} from './util.js';

async function refused(bytes: Uint8Array, pattern: RegExp): Promise<string> {
  try {
    await load(bytes);
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(torch.CheckpointError);
    expect((e as Error).message).toMatch(pattern);
    return (e as Error).message;
  }
  throw new Error(`expected a CheckpointError matching ${pattern}`);
}
const callPickle = (m: string, n: string) =>
  pk(OP.PROTO2, global(m, n), str('echo pwned'), OP.TUPLE1, OP.REDUCE, OP.STOP);

describe('pickles that would run code are refused by name', () => {
  it('os.system in a file torch.save wrote (pickled as posix.system)', async () => {
    const msg = await refused(
      readFixture('evil_os_system.pth'),
      /refusing global 'posix\.system'.*no code from a file is run \(pickle offset \d+\)/,
    );
    expect(msg).toMatch(/evil_os_system\/data\.pkl/);
  });
  it('eval in a file torch.save wrote (pickled as __builtin__.eval)', async () => {
    await refused(readFixture('evil_eval.pth'), /refusing global '__builtin__\.eval'/);
  });
  for (const [m, n] of [
    ['os', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch.serialization', 'load'],
    ['__main__', 'Evil'],
    ['numpy.core.multiarray', 'scalar'],
    ['torch._utils', '_rebuild_device_tensor_from_numpy'],
  ]) {
    it(`${m}.${n}`, async () => {
      await refused(
        pthBytes(callPickle(m, n)),
        new RegExp(`refusing global '${m.replace(/\./g, '\\.')}\\.${n}'.*\\(pickle offset 2\\)`),
      );
    });
  }
  it('STACK_GLOBAL (protocol 4) names are checked the same way', async () => {
    const p = pk(
      0x80,
      4,
      0x8c,
      8,
      ...new TextEncoder().encode('builtins'),
      0x8c,
      4,
      ...new TextEncoder().encode('exec'),
      0x93,
      str('x'),
      OP.TUPLE1,
      OP.REDUCE,
      OP.STOP,
    );
    await refused(pthBytes(p), /refusing global 'builtins\.exec'/);
  });
  it('unsupported storage types are named as such', async () => {
    await refused(
      pthBytes(dictPickle([['w', tensorCall({ type: 'ComplexFloatStorage', numel: 1, size: [1], stride: [1] })]])),
      /storage type 'torch\.ComplexFloatStorage' is not supported/,
    );
  });
  it('allowed globals may not be misused: calling a storage class, NEWOBJ, BUILD on a tensor, INST/OBJ opcodes', async () => {
    await refused(
      pthBytes(pk(OP.PROTO2, global('torch', 'FloatStorage'), OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP)),
      /'torch\.FloatStorage' cannot be called/,
    );
    await refused(
      pthBytes(pk(OP.PROTO2, global('torch._utils', '_rebuild_tensor_v2'), OP.EMPTY_TUPLE, OP.NEWOBJ, OP.STOP)),
      /NEWOBJ of global 'torch\._utils\._rebuild_tensor_v2' is not allowed/,
    );
    await refused(
      pthBytes(pk(OP.PROTO2, tensorCall({ numel: 1, size: [1], stride: [1] }), OP.EMPTY_DICT, OP.BUILD, OP.STOP), {
        0: f32bytes([1]),
      }),
      /BUILD of a tensor/,
    );
    await refused(
      pthBytes(pk(OP.PROTO2, OP.MARK, 0x69, ...new TextEncoder().encode('os\nsystem\n'), OP.STOP)),
      /opcode 0x69 is not one a PyTorch checkpoint uses \(pickle offset 3\)/,
    );
    await refused(
      pthBytes(pk(OP.PROTO2, OP.MARK, global('os', 'system'), 0x6f, OP.STOP)),
      /refusing global 'os\.system'/,
    );
    await refused(
      pthBytes(pk(OP.PROTO2, global('collections', 'OrderedDict'), OP.STOP)),
      /the global 'collections\.OrderedDict' itself/,
    );
  });
  it('persistent ids must be storages', async () => {
    await refused(
      pthBytes(pk(OP.PROTO2, str('anything'), OP.BINPERSID, OP.STOP)),
      /persistent id "anything" is not \('storage'/,
    );
  });
});

describe('malformed pickles', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated (no STOP)', pk(OP.PROTO2, OP.EMPTY_DICT), /ends without a STOP opcode \(truncated\)/],
    [
      'string longer than the pickle',
      pk(OP.PROTO2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x41, OP.STOP),
      /needs 2147483647 more bytes but the pickle ends/,
    ],
    ['stack underflow', pk(OP.PROTO2, OP.SETITEM, OP.STOP), /stack underflow \(pickle offset 2\)/],
    ['memo read before written', pk(OP.PROTO2, binget(7), OP.STOP), /memo entry 7 is read before it is written/],
    [
      'SETITEMS on a list',
      pk(OP.PROTO2, OP.EMPTY_LIST, OP.MARK, str('a'), int(1), OP.SETITEMS, OP.STOP),
      /SETITEMS on a list of 0, not a dict/,
    ],
    [
      'invalid UTF-8 string',
      pk(OP.PROTO2, 0x58, 2, 0, 0, 0, 0xc3, 0x28, OP.STOP),
      /string of 2 bytes is not valid UTF-8/,
    ],
    ['unknown protocol', pk(0x80, 9, OP.NONE, OP.STOP), /pickle protocol 9 is unknown/],
    [
      'negative storage offset',
      dictPickle([['w', tensorCall({ numel: 1, offset: -1, size: [1], stride: [1] })]]),
      /storage offset -1 is negative/,
    ],
    [
      'tuple key',
      pk(OP.PROTO2, OP.EMPTY_DICT, int(1), OP.TUPLE1, int(2), OP.SETITEM, OP.STOP),
      /has a key that is a tuple of 1/,
    ],
  ];
  for (const [name, p, re] of cases)
    it(name, async () => {
      await refused(pthBytes(p), re);
    });
});

describe('tensors and storages are checked against the records', () => {
  const w = (o: Parameters<typeof tensorCall>[0], records: Record<string, Uint8Array>) =>
    pthBytes(dictPickle([['w', tensorCall(o)]]), records);
  it('a view reaching past its storage', async () => {
    await refused(
      w({ numel: 4, offset: 1, size: [2, 2], stride: [2, 1] }, { 0: f32bytes([1, 2, 3, 4]) }),
      /size \(2, 2\), stride \(2, 1\) at offset 1 reaches element 4 of storage '0', which holds 4/,
    );
  });
  it('a storage record missing, or with the wrong size', async () => {
    await refused(
      w({ numel: 2, size: [2], stride: [1] }, {}),
      /'w' uses storage '0', but the archive has no record 'archive\/data\/0'/,
    );
    await refused(
      w({ numel: 3, size: [2], stride: [1] }, { 0: f32bytes([1, 2]) }),
      /storage '0' \(torch\.FloatStorage of 3 elements, used by 'w'\) needs 12 bytes but record 'archive\/data\/0' at offset \d+ holds 8/,
    );
  });
  it('one storage named with two sizes', async () => {
    const p = dictPickle([
      ['a', tensorCall({ numel: 2, size: [2], stride: [1] })],
      ['b', tensorCall({ numel: 3, size: [2], stride: [1] })],
    ]);
    await refused(pthBytes(p, { 0: f32bytes([1, 2]) }), /storage '0' is named twice with different types or sizes/);
  });
  it('int64 out of the int32 range names the tensor; nothing is left allocated', async () => {
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigInt64(8, -(2n ** 40n), true);
    const p = dictPickle([
      ['ok', tensorCall({ key: 'a', numel: 1, size: [1], stride: [1] })],
      ['ids', tensorCall({ type: 'LongStorage', key: 'b', numel: 2, size: [2], stride: [1] })],
    ]);
    const before = torch.memory().cpu.liveTensors;
    await refused(
      pthBytes(p, { a: f32bytes([1]), b: big }),
      /tensor 'ids' holds int64 value -1099511627776 at storage element 1 \(record 'archive\/data\/b', file offset \d+\), outside the int32 range/,
    );
    expect(torch.memory().cpu.liveTensors).toBe(before);
  });
});

describe('nesting, sharing and cycles are bounded', () => {
  it('100k nested lists are refused at the nesting limit, quickly', async () => {
    const n = 100_000;
    const p = new Uint8Array(n * 2 + 4);
    p.set([0x80, 2]);
    p.fill(OP.EMPTY_LIST, 2, 2 + n);
    p.fill(OP.APPEND, 2 + n, 1 + 2 * n);
    p[1 + 2 * n] = OP.STOP;
    await refused(pthBytes(p.subarray(0, 2 + 2 * n)), /nested more than 1000 containers deep/);
  });
  it('MARKs nested past the limit', async () => {
    const p = pk(OP.PROTO2, ...new Array(1001).fill(OP.MARK), OP.STOP);
    await refused(pthBytes(p), /MARKs nested deeper than 1000/);
  });
  it('a list containing itself loads as a cycle, as in PyTorch', async () => {
    const v = (await load(
      pthBytes(pk(OP.PROTO2, OP.EMPTY_LIST, binput(0), binget(0), OP.APPEND, OP.STOP)),
    )) as unknown[];
    expect(v[0]).toBe(v);
  });
  it('"billion laughs": 2^60 paths through 60 shared lists load as 60 shared objects', async () => {
    const parts: (number | Uint8Array)[] = [...OP.PROTO2, OP.EMPTY_LIST, binput(0)];
    for (let i = 1; i <= 60; i++)
      parts.push(OP.EMPTY_LIST, OP.MARK, binget(i - 1), binget(i - 1), OP.APPENDS, binput(i), OP.POP);
    parts.pop();
    parts.push(OP.STOP);
    let v = (await load(pthBytes(pk(...parts)))) as unknown[];
    for (let i = 0; i < 60; i++) {
      expect(v.length).toBe(2);
      expect(v[0]).toBe(v[1]);
      v = v[0] as unknown[];
    }
  });
});

describe('zip container', () => {
  const good = readFixture('state_dict.pth');
  it('truncated at every section boundary of a torch-written file', async () => {
    const zip = new ZipReader(good);
    const cuts = new Set<number>();
    for (const e of zip.entries.values())
      for (const c of [e.localOffset, e.localOffset + 30, e.dataStart, e.dataStart + e.compressedSize]) cuts.add(c);
    const dv = new DataView(good.buffer, good.byteOffset);
    for (let o = 0; o + 4 <= good.length; o++)
      if ([0x02014b50, 0x06064b50, 0x07064b50, 0x06054b50].includes(dv.getUint32(o, true))) cuts.add(o);
    for (const c of [...cuts]) for (const d of [c - 1, c, c + 1]) if (d > 0 && d < good.length) cuts.add(d);
    expect(cuts.size).toBeGreaterThan(20);
    for (const c of cuts) await refused(good.subarray(0, c), /offset|file/);
  });
  it('a flipped data byte fails the CRC check, naming the record', async () => {
    const zip = new ZipReader(good);
    const e = zip.entries.get('state_dict/data/0')!;
    const bad = good.slice();
    bad[e.dataStart + 3] ^= 0x40;
    await refused(bad, /entry 'state_dict\/data\/0' \(data at offset \d+\) fails its CRC-32 check/);
  });
  it('DEFLATE entries load (a re-zipped checkpoint), with their sizes enforced', async () => {
    const zip = new ZipReader(good);
    const files: Record<string, Uint8Array> = {};
    for (const name of zip.entries.keys()) files[name] = zip.read(name);
    const deflated = zipSync(files, { level: 6 });
    expect(new ZipReader(deflated).entries.get('state_dict/data.pkl')!.method).toBe(8);
    const a = await load(deflated),
      b = await load(good);
    for (const k of Object.keys(b)) expect(Array.from(await a[k].data())).toEqual(Array.from(await b[k].data()));
  });
  it('zip bombs: an entry inflating past its declared size, an impossible ratio, overlapping entries', async () => {
    const bomb = zipSync(
      { 'archive/data.pkl': dictPickle([]), 'archive/data/0': new Uint8Array(4 << 20) },
      { level: 9 },
    );
    const zip = new ZipReader(bomb);
    const e = zip.entries.get('archive/data/0')!;
    const cdv = new DataView(bomb.buffer);
    // find the central directory record of data/0 and lie about its size
    let cd = -1;
    for (let o = 0; o + 4 <= bomb.length; o++)
      if (cdv.getUint32(o, true) === 0x02014b50 && cdv.getUint32(o + 42, true) === e.localOffset) cd = o;
    const lying = bomb.slice();
    new DataView(lying.buffer).setUint32(cd + 24, 1000, true);
    expect(() => new ZipReader(lying).read('archive/data/0')).toThrow(
      /inflates past its declared 1000 bytes \(zip bomb\?\)/,
    );
    const huge = bomb.slice();
    new DataView(huge.buffer).setUint32(cd + 24, 0xfffffff0, true);
    expect(() => new ZipReader(huge)).toThrow(/over the \d+-byte limit \(zip bomb\?\)|a ratio DEFLATE cannot reach/);
    const ratio = bomb.slice();
    new DataView(ratio.buffer).setUint32(cd + 24, e.compressedSize * 2000, true);
    expect(() => new ZipReader(ratio)).toThrow(/a ratio DEFLATE cannot reach \(zip bomb\?\)/);
    // a STORED entry whose data swallows the next entry's header
    const stored = pthBytes(dictPickle([]), { 0: new Uint8Array(64) });
    const z2 = new ZipReader(stored);
    const first = z2.entries.get('archive/data.pkl')!;
    const sdv = new DataView(stored.buffer);
    for (let o = 0; o + 4 <= stored.length; o++) {
      if (sdv.getUint32(o, true) === 0x02014b50 && sdv.getUint32(o + 42, true) === first.localOffset) {
        sdv.setUint32(o + 20, first.compressedSize + 100, true);
        sdv.setUint32(o + 24, first.compressedSize + 100, true);
      }
    }
    await refused(stored, /entries 'archive\/data\.pkl' and 'archive\/data\/0' overlap at offset \d+ \(zip bomb\?\)/);
  });
  it('a directory claiming more entries than it can hold', async () => {
    const z = pthBytes(dictPickle([]));
    const dv = new DataView(z.buffer);
    dv.setUint16(z.length - 22 + 8, 60000, true);
    dv.setUint16(z.length - 22 + 10, 60000, true);
    await refused(z, /cannot hold the 60000 entries it declares/);
  });
  it('not a checkpoint: no data.pkl; a TorchScript archive; the legacy format', async () => {
    await refused(
      zipSync({ 'x/y.txt': new Uint8Array(1) }, { level: 0 }),
      /no '<archive>\/data\.pkl' record among its 1 entries \(x\/y\.txt\)/,
    );
    await refused(
      zipSync(
        {
          'm/data.pkl': dictPickle([]),
          'm/constants.pkl': dictPickle([]),
          'm/code/m.py': new Uint8Array(1),
          'n/data.pkl': dictPickle([]),
        },
        { level: 0 },
      ),
      /TorchScript archive/,
    );
    await refused(
      readFixture('legacy.pth'),
      /legacy \(pre-1\.6\).*re-save the file with torch\.save\(obj, path\) in PyTorch >= 1\.6.*_use_new_zipfile_serialization=True/,
    );
    await refused(new Uint8Array([1, 2, 3]), /neither a PyTorch zip/);
  });
});

describe('the unpickler directly', () => {
  it('reads what torch writes: OrderedDict with _metadata BUILD, parameters, LONG1 ints', () => {
    const v = loadPth(readFixture('checkpoint.pth')) as { big: number; neg: number };
    expect(v.big).toBe(2 ** 40);
    expect(v.neg).toBe(-5);
    expect(unpickle(pk(OP.PROTO2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, OP.STOP), 't')).toBe(2n ** 64n);
    expect(unpickle(pk(OP.PROTO2, 0x8a, 1, 0xff, OP.STOP), 't')).toBe(-1);
    expect(unpickle(pk(OP.PROTO2, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, OP.STOP), 't')).toBe(1.5);
  });
});
