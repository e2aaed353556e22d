// Dawn prints two lines to the process's stderr (file descriptor 2, from C++, not through Node) each time
// it enumerates a Vulkan adapter that reports more dynamic buffers than Dawn supports (lavapipe, RADV,
// NVIDIA all do):
//   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
//   Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
// Dawn offers no toggle or logging callback for them (dawn::WarningLog writes straight to stderr), and a
// library's import should be silent. So while the adapter and device are acquired, fd 2 is pointed at a
// temporary file; afterwards it is pointed back at the same pipe or terminal (reopened through
// /proc/self/fd), and everything captured except exactly these lines is written to stderr.
// Only where that is safe: Linux, stderr a pipe or a terminal (no file offset to disturb), fds 0–2 open.
// When stderr is a regular file (reopening it would fork its file offset from the shell's) or a socket
// (Node's child_process gives children socket pairs, which /proc cannot reopen, and Node has no dup())
// the lines pass through unfiltered.
// FINETORCH_DAWN_STDERR=1 turns the filter off.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError } from '../../errors.js';

const DAWN_LIMIT_WARNING =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?\n/gm;

/** Drops Dawn's two limit warnings from captured stderr text; everything else is kept. */
export function dropDawnLimitWarnings(text: string): string {
  return text.replace(DAWN_LIMIT_WARNING, '');
}

function canRedirect(): boolean {
  if (process.platform !== 'linux' || process.env.FINETORCH_DAWN_STDERR === '1') return false;
  if (!existsSync('/proc/self/fd/2')) return false;
  try {
    const st = fstatSync(2);
    if (!st.isFIFO() && !st.isCharacterDevice()) return false;
    fstatSync(0);
    fstatSync(1);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with Dawn's limit warnings on fd 2 filtered out (see the header). */
export async function withDawnWarningsFiltered<T>(fn: () => Promise<T>): Promise<T> {
  if (!canRedirect()) return fn();
  // a second writer on the same pipe/terminal keeps it open while fd 2 points elsewhere
  const original = openSync('/proc/self/fd/2', 'w');
  const capturePath = join(tmpdir(), `finetorch-dawn-${process.pid}-${Date.now()}.log`);
  let capture = -1;
  closeSync(2);
  try {
    capture = openSync(capturePath, 'w+', 0o600); // the lowest free descriptor: 2
  } finally {
    if (capture !== 2) {
      // not 2 (cannot happen with fds 0 and 1 open): undo before anything is written
      if (capture >= 0) closeSync(capture);
      restoreStderr(original);
    }
  }
  if (capture !== 2) return fn();
  try {
    return await fn();
  } finally {
    closeSync(2);
    restoreStderr(original);
    let text = '';
    try {
      text = readFileSync(capturePath, 'utf8');
      unlinkSync(capturePath);
    } catch {
      /* nothing captured */
    }
    const rest = dropDawnLimitWarnings(text);
    if (rest) writeSync(2, rest);
  }
}

function restoreStderr(original: number): void {
  const fd = openSync(`/proc/self/fd/${original}`, 'w'); // lowest free: 2 again
  closeSync(original);
  if (fd !== 2)
    throw new DeviceError(`webgpu: could not restore stderr after acquiring the adapter (got descriptor ${fd})`);
}
