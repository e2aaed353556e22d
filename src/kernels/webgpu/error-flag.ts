// The device-side error flag. Ops whose arguments can only be validated by looking at tensor
// values (an embedding index, a class target, a BCE probability) cannot throw when they are called
// without reading the values back, which would stall the device on every call. Instead their kernels
// test the values and, on the first bad one, set a 16-byte flag buffer (atomic compare-exchange, so
// the first error wins): the check's site id, the offending value's bits, its flat position. The
// next readback copies the flag into the same staging buffer as the data (no extra round trip, and
// only while a checked kernel has run since the flag was last read) and throws the typed error the
// cpu device throws at once — as CUDA's device-side asserts surface at the next synchronisation.
import { WebGPUError } from '../../errors.js';
import type { ValueCheck } from '../backend.js';
import { paramBinding, paramBlock } from './params.js';

export const FLAG_BYTES = 16;

/**
 * WGSL: the flag at `binding` and `ft_raise(site, valueBits, position)`. A kernel declares it in
 * place of one of its own bindings (the flag buffer is passed in `buffers` at that index).
 */
export function errorFlagWgsl(binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read_write> FT_ERR: array<atomic<u32>, 4>;
fn ft_raise(site: u32, value: u32, pos: u32) {
  loop {
    let r = atomicCompareExchangeWeak(&FT_ERR[0], 0u, site);
    if (r.exchanged) { atomicStore(&FT_ERR[1], value); atomicStore(&FT_ERR[2], pos); return; }
    if (r.old_value != 0u) { return; }
  }
}`;
}

/** The host side: which check each site id names, and whether the flag needs reading. */
export class ErrorFlag {
  readonly buffer: GPUBuffer;
  private sites: { check: ValueCheck; float: boolean }[] = [];
  private ids = new Map<string, number>();
  /** bumped by every checked dispatch; a readback that saw generation g settles checks up to g */
  private generation = 0;
  private settled = 0;

  constructor(private readonly device: GPUDevice) {
    this.buffer = device.createBuffer({
      label: 'finetorch-error-flag',
      size: FLAG_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.buffer, 0, new Uint32Array(4));
  }

  /**
   * The id (≥ 1) a kernel passes to ft_raise for this check, whose value bits are an f32 (`float`)
   * or an i32; equal keys share one id.
   */
  site(check: ValueCheck, float: boolean): number {
    const key = `${float ? 'f' : 'i'}:${check.key}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      this.sites.push({ check, float });
      id = this.sites.length;
      this.ids.set(key, id);
    }
    this.generation++;
    return id;
  }

  /** Whether a checked kernel ran since the flag was last read clean: readbacks then copy it. */
  get armed(): boolean {
    return this.generation !== this.settled;
  }
  /** The generation a readback covers (call when its copy of the flag is recorded). */
  snapshot(): number {
    return this.generation;
  }

  /**
   * Look at a readback's copy of the flag (taken at generation `gen`). A clean flag settles the
   * checks up to `gen` (and forgets their sites when none is pending); a set one is cleared on the
   * device and becomes the check's own typed error.
   */
  settle(words: Uint32Array, gen: number): Error | null {
    const id = words[0];
    if (id === 0) {
      if (gen > this.settled) this.settled = gen;
      if (this.settled === this.generation) {
        this.sites = [];
        this.ids.clear();
      }
      return null;
    }
    this.device.queue.writeBuffer(this.buffer, 0, new Uint32Array(4));
    const site = this.sites[id - 1];
    if (!site) return new WebGPUError(`webgpu: the device error flag holds an unknown check id ${id}`);
    const bits = new Uint32Array([words[1]]);
    const value = site.float ? new Float32Array(bits.buffer)[0] : new Int32Array(bits.buffer)[0];
    return site.check.error(value, words[2]);
  }
}

export const CHECK_WG = 256;

/** f32 bits → an unsigned key in the floats' order (-0 as +0; NaN beyond ±inf): range tests on integers, safe under fast-math */
export function orderedKey(x: number): number {
  const u = new Uint32Array(new Float32Array([x === 0 ? 0 : x]).buffer)[0];
  return (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
}

/** The float check's slot: lo and hi as orderedKey, the allowed exception as f32 bits. */
export const CHECK_FLOAT_PARAMS = paramBlock({
  n: 'u32',
  offset: 'u32',
  lo: 'u32',
  hi: 'u32',
  allowed: 'u32',
  hasAllowed: 'bool',
  site: 'u32',
});
/** The int check's slot: the same words, as i32. */
export const CHECK_INT_PARAMS = paramBlock({
  n: 'u32',
  offset: 'u32',
  lo: 'i32',
  hi: 'i32',
  allowed: 'i32',
  hasAllowed: 'bool',
  site: 'u32',
});

/**
 * The check kernel of Backend.checkValues: one invocation per element of a dense view; raises the
 * flag for a value outside [lo, hi] that is not the exception. Floats compare as orderedKey (so NaN
 * fails every range), ints as i32.
 */
export function checkValuesSource(float: boolean): string {
  const test = float
    ? `var u = bitcast<u32>(X[offset + i]);
  if (u == 0x80000000u) { u = 0u; }
  let k = select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
  let bad = ((k < lo) | (k > hi)) & !(hasAllowed & (u == allowed));`
    : `let v = X[offset + i];
  let bad = ((v < lo) | (v > hi)) & !(hasAllowed & (v == allowed));`;
  return `@group(0) @binding(0) var<storage, read> X: array<${float ? 'f32' : 'i32'}>;
${errorFlagWgsl(1)}
${paramBinding(2)}
@compute @workgroup_size(${CHECK_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${(float ? CHECK_FLOAT_PARAMS : CHECK_INT_PARAMS).preamble()}
  let i = gid.x + gid.y * nwg.x * ${CHECK_WG}u;
  if (i >= n) { return; }
  ${test}
  if (bad) { ft_raise(site, bitcast<u32>(X[offset + i]), i); }
}`;
}
