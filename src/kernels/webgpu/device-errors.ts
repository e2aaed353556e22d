// Errors the device reports on its own time: validation errors Dawn raises asynchronously (uncaptured,
// or from a pipeline's error scope) and a lost device. They are collected, not printed, and thrown as
// one WebGPUError at the next readback or sync, where the caller can see them as the op's failure.
import { WebGPUError } from '../../errors.js';

export class DeviceErrors {
  private messages: string[] = [];
  private lost: string | null = null;

  /** Collect `device`'s uncaptured errors and its loss (a deliberate destroy() is not an error). */
  constructor(device: GPUDevice) {
    device.onuncapturederror = (ev) => {
      ev.preventDefault?.();
      this.messages.push((ev as GPUUncapturedErrorEvent).error.message);
    };
    void device.lost.then((l) => {
      if (l.reason !== 'destroyed') this.lost = `WebGPU device lost: ${l.message}`;
    });
  }

  push(message: string): void {
    this.messages.push(message);
  }

  /** Throw what was collected since the last check (at most four distinct messages), and forget it. */
  check(): void {
    if (this.lost) throw new WebGPUError(this.lost);
    if (this.messages.length) {
      // a kernel's own compile error explains the "invalid pipeline" errors that follow it
      const first = this.messages.filter((e) => e.startsWith('kernel '));
      const rest = this.messages.filter((e) => !e.startsWith('kernel '));
      const msg = [...new Set([...first, ...rest])].slice(0, 4).join('\n');
      this.messages = [];
      throw new WebGPUError(msg);
    }
  }
}
