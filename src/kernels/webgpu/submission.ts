// Command batching, parameter slots and readback: how recorded work reaches the device.
//
// Dispatches are recorded into one compute pass per batch (at most MAX_BATCH dispatches, or until a
// readback or copy), each dispatch's parameters in a 256-byte slot of one storage buffer written
// once per submit. Buffers freed while a batch is being recorded return to the pool only after that
// batch is submitted, so a reused buffer can never be overwritten under pending work. A readback
// copies into a staging buffer, submits, and waits (the platform's politeWait: polite-wait.ts in Node); it then throws what the
// device reported meanwhile (device-errors.ts) or a raised value-check flag (error-flag.ts).
import { platform } from '../../platform/platform.js';
import type { BufferPool } from './buffer-pool.js';
import type { DeviceErrors } from './device-errors.js';
import { FLAG_BYTES, type ErrorFlag } from './error-flag.js';
import type { PipelineCache } from './pipeline-cache.js';

/** Parameters of one dispatch: up to 64 32-bit words, bound as a read-only storage slice. */
export const PARAM_WORDS = 64;
const SLOT_BYTES = 256; // minStorageBufferOffsetAlignment is at most 256
/** dispatches recorded before the batch is submitted on its own */
const MAX_BATCH = 256;

/** Fills one dispatch's parameter slot through u32/f32/i32 views of the same 64 words. */
export type WriteParams = (u: Uint32Array, f: Float32Array, i: Int32Array) => void;

export class Submission {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batch = 0;
  private params = new ArrayBuffer(MAX_BATCH * SLOT_BYTES);
  private paramsU32 = new Uint32Array(this.params);
  private paramsF32 = new Float32Array(this.params);
  private paramsI32 = new Int32Array(this.params);
  private paramBuffer: GPUBuffer;
  private pendingFree: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    private readonly pool: BufferPool<GPUBuffer>,
    private readonly errors: DeviceErrors,
    private readonly errorFlag: ErrorFlag,
  ) {
    this.paramBuffer = device.createBuffer({
      label: 'finetorch-params',
      size: MAX_BATCH * SLOT_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  /** A free buffer goes back to the pool now, or after the batch being recorded is submitted. */
  release(buf: GPUBuffer): void {
    if (this.batch > 0 || this.encoder) this.pendingFree.push(buf);
    else this.pool.put(buf);
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  /** Record one dispatch (Runtime.dispatch). */
  dispatch(
    key: string,
    source: () => string,
    buffers: GPUBuffer[],
    writeParams: WriteParams,
    groups: [number, number, number],
  ): void {
    const { pipeline, layout } = this.pipelines.get(key, source);
    const slot = this.batch * PARAM_WORDS;
    const u = this.paramsU32.subarray(slot, slot + PARAM_WORDS);
    u.fill(0);
    writeParams(
      u,
      this.paramsF32.subarray(slot, slot + PARAM_WORDS),
      this.paramsI32.subarray(slot, slot + PARAM_WORDS),
    );
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({
      binding: buffers.length,
      resource: { buffer: this.paramBuffer, offset: this.batch * SLOT_BYTES, size: SLOT_BYTES },
    });
    const bindGroup = this.device.createBindGroup({ label: key, layout, entries });
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (groups[0] > 0 && groups[1] > 0 && groups[2] > 0) pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.batch++;
    if (this.batch >= MAX_BATCH) this.flush();
  }

  /** Copy between buffers, outside any compute pass (ordered after the dispatches before it). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      if (this.batch > 0) {
        // queue operations run in order, so the next batch may rewrite this buffer: its
        // writeBuffer executes after this submit has finished reading
        this.device.queue.writeBuffer(this.paramBuffer, 0, this.params, 0, this.batch * SLOT_BYTES);
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.pool.tick();
    }
    this.batch = 0;
    for (const b of this.pendingFree) this.pool.put(b);
    this.pendingFree = [];
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
      await platform().politeWait(staging.mapAsync(GPUMapMode.READ));
      // errors raised by the scopes resolve asynchronously; let them land before we return
      await platform().nextTask();
      this.errors.check();
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

  /** Wait for all submitted work; throws what the device reported and a raised error flag. */
  async sync(): Promise<void> {
    if (this.errorFlag.armed) {
      // mapping waits for the submitted work just as onSubmittedWorkDone does
      await this.read(this.errorFlag.buffer, 0, 0);
      return;
    }
    this.flush();
    await platform().politeWait(this.device.queue.onSubmittedWorkDone());
    this.errors.check();
  }
}
