// The WebGPU runtime: one adapter and device per process, acquired lazily, and the parts the kernels
// record work through, composed here behind the one object they are handed:
//   buffer-pool.ts     size-bucketed reuse of freed buffers, idle release, byte limit
//   pipeline-cache.ts  compiled pipelines by kernel key
//   submission.ts      batching into compute passes, parameter slots, readback, sync
//   device-errors.ts   Dawn's asynchronous errors and device loss, thrown at the next readback
//   error-flag.ts      the device-side flag of value-checking kernels
//   adapter.ts         adapter → device and AdapterInfo; the GPU object comes from the platform:
//                      node-gpu.ts (the `webgpu` package) or browser-gpu.ts (navigator.gpu)
import { DeviceError } from '../../errors.js';
import { platform } from '../../platform/platform.js';
import { openDevice, type AdapterInfo, type GpuSource } from './adapter.js';
import { BufferPool, bucketSize } from './buffer-pool.js';
import { DeviceErrors } from './device-errors.js';
import { ErrorFlag } from './error-flag.js';
import { PipelineCache } from './pipeline-cache.js';
import { Submission, type WriteParams } from './submission.js';

export type { AdapterInfo, GpuSource } from './adapter.js';
export { PARAM_WORDS } from './submission.js';

export class Runtime {
  /** kernels dispatched so far (tests count them) */
  dispatches = 0;
  /** set by kernels that validate tensor values; read with the next readback (error-flag.ts) */
  readonly errorFlag: ErrorFlag;
  private readonly pool = new BufferPool<GPUBuffer>();
  private readonly errors: DeviceErrors;
  private readonly pipelines: PipelineCache;
  private readonly queue: Submission;

  constructor(
    readonly device: GPUDevice,
    readonly info: AdapterInfo,
  ) {
    this.errorFlag = new ErrorFlag(device);
    this.errors = new DeviceErrors(device);
    this.pipelines = new PipelineCache(device, (message) => this.errors.push(message));
    this.queue = new Submission(device, this.pipelines, this.pool, this.errors, this.errorFlag);
  }

  /** bytes held by pooled (free) buffers */
  get pooledBytes(): number {
    return this.pool.bytes;
  }
  /** the most bytes the pool keeps (buffer-pool.ts) */
  get poolLimit(): number {
    return this.pool.limit;
  }
  set poolLimit(bytes: number) {
    this.pool.limit = bytes;
  }

  /** A storage buffer of at least `bytes` (its size is the pool bucket), from the pool when one is free. */
  createBuffer(bytes: number): GPUBuffer {
    const size = bucketSize(bytes);
    const pooled = this.pool.take(size);
    if (pooled) return pooled;
    if (size > this.info.limits.maxBufferSize) {
      throw new DeviceError(
        `webgpu: a buffer of ${bytes} bytes exceeds the adapter's maxBufferSize ${this.info.limits.maxBufferSize}`,
      );
    }
    return this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }
  /** Buffers go back to the pool only after the commands that use them are submitted. */
  releaseBuffer(buf: GPUBuffer): void {
    this.queue.release(buf);
  }
  /** Destroy every pooled buffer (`torch.webgpu.emptyCache()`, tests); buffers in use are untouched. */
  trimPool(): void {
    this.flush(); // buffers freed under the batch being recorded join the pool first
    this.pool.clear();
  }

  upload(buf: GPUBuffer, data: ArrayBufferView): void {
    if (data.byteLength) this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** The compiled pipeline for a kernel key (compiled from `source()` on first use). */
  pipeline(key: string, source: () => string) {
    return this.pipelines.get(key, source);
  }

  /**
   * Record one dispatch. `buffers` bind in order at bindings 0..n-1; the parameter slot binds last.
   * `writeParams` fills the slot through u32/f32/i32 views of the same 64 words.
   */
  dispatch(
    key: string,
    source: () => string,
    buffers: GPUBuffer[],
    writeParams: WriteParams,
    groups: [number, number, number],
  ): void {
    this.queue.dispatch(key, source, buffers, writeParams, groups);
    this.dispatches++;
  }

  /** Copy between buffers, outside any compute pass (ordered after the dispatches before it). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.queue.copyBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submit everything recorded so far. */
  flush(): void {
    this.queue.flush();
  }

  /** Throw what the device reported since the last check (device-errors.ts). */
  checkErrors(): void {
    this.errors.check();
  }

  /** Read `bytes` (a multiple of 4) from `buf`; throws device errors and a raised error flag (submission.ts). */
  read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    return this.queue.read(buf, byteOffset, bytes);
  }

  /** Wait for all submitted work (benchmarks, `torch.webgpu.synchronize`); throws a raised error flag. */
  sync(): Promise<void> {
    return this.queue.sync();
  }
}

let runtime: Runtime | null = null;
let acquiring: Promise<Runtime | null> | null = null;
let failure = '';
let gpuRef: GPU | null = null;

/**
 * Acquire the adapter and device once, from `source` (default: the platform's: Node's `webgpu`
 * package, a browser's navigator.gpu). Resolves null when no adapter exists (reason in `webgpuFailure()`).
 */
export function acquireRuntime(source?: GpuSource): Promise<Runtime | null> {
  if (!acquiring) {
    acquiring = (async () => {
      const src = source ?? platform().gpu;
      if (!src) {
        failure = 'WebGPU unavailable: this platform has no GPU source';
        return null;
      }
      return src.around(() => acquire(src));
    })();
  }
  return acquiring;
}

async function acquire(source: GpuSource): Promise<Runtime | null> {
  try {
    const { gpu, backend } = await source.create();
    gpuRef = gpu;
    const opened = await openDevice(gpu, backend);
    if (!opened) {
      failure = 'no WebGPU adapter found (install a Vulkan driver: scripts/install-webgpu-driver.sh)';
      return null;
    }
    runtime = new Runtime(opened.device, opened.info);
    return runtime;
  } catch (e) {
    failure = `WebGPU unavailable: ${(e as Error).message}`;
    return null;
  }
}

export const webgpuFailure = () => failure;
/** The GPU object behind the runtime (benchmarks hand it to peers on the same adapter). */
export function gpuInstance(): GPU | null {
  return gpuRef;
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
