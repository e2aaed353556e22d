// The WebGPU runtime: one adapter and device per process, acquired lazily; a size-bucketed buffer
// pool; a pipeline cache keyed by kernel name and specialisation; command batching; async readback.
//
// The pool keeps freed buffers for reuse (creating one costs an allocation and Dawn's zero-fill), but
// not forever: a training loop written without scope/dispose frees its tensors only when the garbage
// collector runs, in bursts of hundreds of MB that would otherwise stay pooled. So a pooled buffer
// that no allocation has taken for IDLE_SUBMITS submits is destroyed (a steady loop reuses its
// working set every step, so only the excess of a burst or of a finished phase goes), and the pool
// never holds more than `poolLimit` bytes (default 1 GiB, FINETORCH_WEBGPU_POOL_MB to change): a
// buffer freed while the pool is full is destroyed at once. `torch.webgpu.emptyCache()` destroys every pooled
// buffer (PyTorch's torch.cuda.empty_cache()).
import { DeviceError, WebGPUError } from '../../errors.js';
import { ErrorFlag, FLAG_BYTES } from './error-flag.js';
import { withDawnWarningsFiltered } from './quiet-dawn.js';

/** Parameters of one dispatch: up to 64 32-bit words, bound as a read-only storage slice. */
export const PARAM_WORDS = 64;
const SLOT_BYTES = 256; // minStorageBufferOffsetAlignment is at most 256
/** dispatches recorded before the batch is submitted on its own */
const MAX_BATCH = 256;
/** a pooled buffer unused for this many submits is destroyed (checked every IDLE_SWEEP submits) */
const IDLE_SUBMITS = 64;
const IDLE_SWEEP = 8;
const DEFAULT_POOL_MB = 1024;

function poolLimitFromEnv(): number {
  const mb = Number(process.env.FINETORCH_WEBGPU_POOL_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_POOL_MB) * 2 ** 20;
}

export interface AdapterInfo {
  vendor: string; architecture: string; device: string; description: string;
  isFallbackAdapter: boolean; isSoftware: boolean; backend: string;
  /** lanes per subgroup when the device has the `subgroups` feature and a fixed size, else 0 */
  subgroupSize: number;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupSizeX: number;
    maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupsPerDimension: number };
}

/** Round a byte size up to its pool bucket: powers of two up to 1 MiB, then 1/8 steps. */
export function bucketSize(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class Runtime {
  readonly device: GPUDevice;
  readonly info: AdapterInfo;
  dispatches = 0;
  /** per bucket size, oldest first; each with the submit count when it was pooled */
  private pool = new Map<number, { buf: GPUBuffer; at: number }[]>();
  private pendingFree: GPUBuffer[] = [];
  pooledBytes = 0;
  /** the most bytes the pool keeps (see the header) */
  poolLimit = poolLimitFromEnv();
  private submits = 0;
  private pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batch = 0;
  private params = new ArrayBuffer(MAX_BATCH * SLOT_BYTES);
  private paramsU32 = new Uint32Array(this.params);
  private paramsF32 = new Float32Array(this.params);
  private paramsI32 = new Int32Array(this.params);
  private paramBuffer: GPUBuffer;
  private errors: string[] = [];
  private lost: string | null = null;
  /** set by kernels that validate tensor values; read with the next readback (error-flag.ts) */
  readonly errorFlag: ErrorFlag;

  constructor(device: GPUDevice, info: AdapterInfo) {
    this.device = device;
    this.info = info;
    this.paramBuffer = this.newParamBuffer();
    this.errorFlag = new ErrorFlag(device);
    // collect, don't print: the errors are thrown at the next readback, naming the kernel
    device.onuncapturederror = (ev) => {
      ev.preventDefault?.();
      this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    };
    void device.lost.then((l) => {
      if (l.reason !== 'destroyed') this.lost = `WebGPU device lost: ${l.message}`;
    });
  }

  private newParamBuffer(): GPUBuffer {
    return this.device.createBuffer({
      label: 'finetorch-params', size: MAX_BATCH * SLOT_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  createBuffer(bytes: number): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.pool.get(size);
    if (list && list.length) {
      this.pooledBytes -= size;
      return list.pop()!.buf;
    }
    if (size > this.info.limits.maxBufferSize) {
      throw new DeviceError(`webgpu: a buffer of ${bytes} bytes exceeds the adapter's maxBufferSize ${this.info.limits.maxBufferSize}`);
    }
    return this.device.createBuffer({
      size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }
  /** Buffers go back to the pool only after the commands that use them are submitted. */
  releaseBuffer(buf: GPUBuffer): void {
    if (this.batch > 0 || this.encoder) this.pendingFree.push(buf);
    else this.toPool(buf);
  }
  private toPool(buf: GPUBuffer) {
    // over the limit the buffer goes instead of a pooled one: O(1), and the idle sweep retires stale ones
    if (this.pooledBytes + buf.size > this.poolLimit) {
      buf.destroy();
      return;
    }
    const list = this.pool.get(buf.size) ?? [];
    list.push({ buf, at: this.submits });
    this.pool.set(buf.size, list);
    this.pooledBytes += buf.size;
  }
  /** Destroy the buffers pooled before submit `before` (each bucket's list is oldest first). */
  private releasePooled(before: number): void {
    for (const [size, list] of this.pool) {
      let n = 0;
      while (n < list.length && list[n].at < before) list[n++].buf.destroy();
      if (n === list.length) this.pool.delete(size);
      else if (n) list.splice(0, n);
      this.pooledBytes -= n * size;
    }
  }
  /** Destroy every pooled buffer (`torch.webgpu.emptyCache()`, tests); buffers in use are untouched. */
  trimPool(): void {
    this.flush(); // buffers freed under the batch being recorded join the pool first
    this.releasePooled(Infinity);
  }

  upload(buf: GPUBuffer, data: ArrayBufferView): void {
    if (data.byteLength) this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  pipeline(key: string, source: () => string) {
    let p = this.pipelines.get(key);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ label: key, code: source() });
      const pipeline = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main' } });
      void this.device.popErrorScope().then((e) => {
        if (e) this.errors.push(`kernel ${key}: ${e.message}`);
      });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, p);
    }
    return p;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  /**
   * Record one dispatch. `buffers` bind in order at bindings 0..n-1; the parameter slot binds last.
   * `writeParams` fills the slot through u32/f32/i32 views of the same 64 words.
   */
  dispatch(
    key: string, source: () => string, buffers: GPUBuffer[],
    writeParams: (u: Uint32Array, f: Float32Array, i: Int32Array) => void,
    groups: [number, number, number],
  ): void {
    const { pipeline, layout } = this.pipeline(key, source);
    const slot = this.batch * PARAM_WORDS;
    const u = this.paramsU32.subarray(slot, slot + PARAM_WORDS);
    u.fill(0);
    writeParams(u, this.paramsF32.subarray(slot, slot + PARAM_WORDS), this.paramsI32.subarray(slot, slot + PARAM_WORDS));
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.paramBuffer, offset: this.batch * SLOT_BYTES, size: SLOT_BYTES } });
    const bindGroup = this.device.createBindGroup({ label: key, layout, entries });
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (groups[0] > 0 && groups[1] > 0 && groups[2] > 0) pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.batch++;
    this.dispatches++;
    if (this.batch >= MAX_BATCH) this.flush();
  }

  /** Copy between buffers, outside any compute pass (ordered after the dispatches before it). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (this.encoder) {
      if (this.batch > 0) {
        // queue operations run in order, so the next batch may rewrite this buffer: its
        // writeBuffer executes after this submit has finished reading
        this.device.queue.writeBuffer(this.paramBuffer, 0, this.params, 0, this.batch * SLOT_BYTES);
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      if (++this.submits % IDLE_SWEEP === 0) this.releasePooled(this.submits - IDLE_SUBMITS);
    }
    this.batch = 0;
    for (const b of this.pendingFree) this.toPool(b);
    this.pendingFree = [];
  }

  checkErrors(): void {
    if (this.lost) throw new WebGPUError(this.lost);
    if (this.errors.length) {
      // a kernel's own compile error explains the "invalid pipeline" errors that follow it
      const first = this.errors.filter((e) => e.startsWith('kernel '));
      const rest = this.errors.filter((e) => !e.startsWith('kernel '));
      const msg = [...new Set([...first, ...rest])].slice(0, 4).join('\n');
      this.errors = [];
      throw new WebGPUError(msg);
    }
  }

  /**
   * Read `bytes` (a multiple of 4) from `buf`. While a value-checking kernel has run since the error
   * flag was last read clean, the flag travels in the same staging buffer, after the data, and a
   * raised flag throws its check's error instead of returning.
   */
  async read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    const flag = this.errorFlag.armed;
    const size = Math.max(4, bytes + (flag ? FLAG_BYTES : 0));
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.copyBuffer(buf, byteOffset, staging, 0, bytes);
    if (flag) this.copyBuffer(this.errorFlag.buffer, 0, staging, bytes, FLAG_BYTES);
    const gen = this.errorFlag.snapshot();
    this.flush();
    try {
      await politeWait(staging.mapAsync(GPUMapMode.READ));
      // errors raised by the scopes resolve asynchronously; let them land before we return
      await new Promise((r) => setImmediate(r));
      this.checkErrors();
      const range = staging.getMappedRange(0, size);
      if (flag) {
        const err = this.errorFlag.settle(new Uint32Array(range, bytes, FLAG_BYTES / 4), gen);
        if (err) throw err;
      }
      return range.slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /** Wait for all submitted work (benchmarks, `torch.webgpu.synchronize`); throws a raised error flag. */
  async sync(): Promise<void> {
    if (this.errorFlag.armed) {
      // mapping waits for the submitted work just as onSubmittedWorkDone does
      await this.read(this.errorFlag.buffer, 0, 0);
      return;
    }
    this.flush();
    await politeWait(this.device.queue.onSubmittedWorkDone());
    this.checkErrors();
  }
}

// Dawn's Node binding finds finished GPU work by polling: while any of its promises is pending it
// re-queues itself with the global setImmediate, a busy loop on the main thread. On a software
// adapter that loop takes a core from the driver's worker threads (measured on 2 cores, llvmpipe:
// ~40% of the process CPU time of a 1024³ matmul and its readback, and ~1.6× its wall time). While
// one of our own waits is pending, each poll after the first SPIN_MS blocks the thread (Atomics.wait:
// no CPU) for 1/8 of the time waited so far, at most 1 ms: waits of a few hundred µs (small
// kernels) stay as short as before, long ones take at most ~1/8 longer to notice completion.
const pollCell = new Int32Array(new SharedArrayBuffer(4));
const SPIN_MS = 0.25;
let waiting = 0;
let waitStart = 0;
let realSetImmediate: typeof setImmediate | null = null;

async function politeWait<T>(p: Promise<T>): Promise<T> {
  if (waiting++ === 0) {
    waitStart = performance.now();
    const real = (realSetImmediate = globalThis.setImmediate);
    const polite = ((fn: (...a: unknown[]) => void, ...args: unknown[]) => {
      const waited = performance.now() - waitStart;
      if (waited > SPIN_MS) Atomics.wait(pollCell, 0, 0, Math.min(1, waited / 8));
      return real(fn, ...args);
    }) as typeof setImmediate;
    globalThis.setImmediate = Object.assign(polite, { __promisify__: real.__promisify__ });
  }
  try {
    return await p;
  } finally {
    if (--waiting === 0 && realSetImmediate) {
      globalThis.setImmediate = realSetImmediate;
      realSetImmediate = null;
    }
  }
}

let runtime: Runtime | null = null;
let acquiring: Promise<Runtime | null> | null = null;
let failure = '';
let gpuRef: GPU | null = null;

/** Acquire the adapter and device once. Resolves null when no adapter exists (reason in `webgpuFailure()`). */
export function acquireRuntime(): Promise<Runtime | null> {
  if (!acquiring) acquiring = doAcquire();
  return acquiring;
}

function doAcquire(): Promise<Runtime | null> {
  return withDawnWarningsFiltered(acquire);
}

async function acquire(): Promise<Runtime | null> {
  try {
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = (await import('node:os')).tmpdir();
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const flags = (process.env.FINETORCH_WEBGPU_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const gpu = create(flags);
    gpuRef = gpu;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      failure = 'no WebGPU adapter found (install a Vulkan driver: scripts/install-webgpu-driver.sh)';
      return null;
    }
    const L = adapter.limits;
    // ask for what the adapter can do, not the spec's defaults
    const requiredLimits: Record<string, number> = {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
    };
    // subgroups let the matmul share loads across lanes (a large win on llvmpipe)
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const ai = adapter.info;
    const sgInfo = ai as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
    const sgMin = sgInfo.subgroupMinSize ?? 0, sgMax = sgInfo.subgroupMaxSize ?? 0;
    const description = ai.description || ai.device || ai.architecture || ai.vendor || 'unknown';
    const text = `${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`.toLowerCase();
    const isFallback = Boolean((adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (ai as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter);
    const info: AdapterInfo = {
      vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description,
      isFallbackAdapter: isFallback,
      isSoftware: isFallback || /llvmpipe|lavapipe|swiftshader|software|warp/.test(text),
      subgroupSize: device.features.has('subgroups') && sgMin > 0 && sgMin === sgMax ? sgMin : 0,
      backend: flags.find((f) => f.startsWith('backend='))?.slice(8) ?? 'default',
      limits: {
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
        maxBufferSize: device.limits.maxBufferSize,
        maxComputeWorkgroupSizeX: device.limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      },
    };
    runtime = new Runtime(device, info);
    return runtime;
  } catch (e) {
    failure = `WebGPU unavailable: ${(e as Error).message}`;
    return null;
  }
}

export const webgpuFailure = () => failure;
/** The `create()`d GPU object behind the runtime (benchmarks hand it to peers on the same adapter). */
export function gpuInstance(): GPU | null {
  return gpuRef;
}
export function currentRuntime(): Runtime | null {
  return runtime;
}
/** Drop the device so the process can exit (Dawn keeps Node alive while it is referenced). */
export function releaseRuntime(): void {
  if (runtime) {
    runtime.flush();
    runtime.device.destroy();
  }
  runtime = null;
  acquiring = null;
  gpuRef = null;
}
