// The parameterised harness every op test uses: the same test body runs on `cpu` and `webgpu`,
// values are compared with tolerances stated once here, and fixtures come from real PyTorch.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import * as torch from '../src/index.js';
import { loadSafetensors } from '../src/io/safetensors.js';

export { torch };
export type Device = torch.Device;

/** float32 tolerance for ops computed the same way as PyTorch */
export const TOL = { rtol: 1e-4, atol: 1e-5 };
/** long reductions (matmul/conv over hundreds of terms, norms, softmax of large logits) */
export const LOOSE = { rtol: 1e-3, atol: 1e-4 };

const requireGpu = process.env.FINETORCH_REQUIRE_WEBGPU === '1';
if (requireGpu && !torch.isAvailable('webgpu')) {
  throw new Error('FINETORCH_REQUIRE_WEBGPU=1 but no WebGPU adapter: the webgpu half of the suite cannot run');
}
export const devices: Device[] = torch.isAvailable('webgpu') ? ['cpu', 'webgpu'] : ['cpu'];

/** Run `body` once per device inside describe('<device>'). */
export function eachDevice(body: (device: Device) => void): void {
  for (const d of devices) describe(d, () => body(d));
}

type Values = ArrayLike<number> | torch.Tensor | number;
async function host(v: Values): Promise<number[]> {
  if (typeof v === 'number') return [v];
  if (v instanceof torch.Tensor) return Array.from(await v.data());
  return Array.from(v);
}

/** Elementwise |a - e| <= atol + rtol |e| (NaN matches NaN, inf matches inf), with a useful message. */
export async function expectClose(actual: Values, expected: Values, tol = TOL, what = ''): Promise<void> {
  const a = await host(actual),
    e = await host(expected);
  if (actual instanceof torch.Tensor && expected instanceof torch.Tensor) {
    expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  }
  expect(a.length, `${what} length`).toBe(e.length);
  let worst = -1,
    worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i],
      y = e[i];
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!Number.isFinite(y) && x === y) continue;
    const err = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what} mismatch at element ${worst}: got ${a[worst]}, expected ${e[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`,
    );
  }
}

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, 'fixtures');
/** Load test/fixtures/<name>.safetensors as cpu tensors plus its metadata. */
export function fixture(name: string): { tensors: Record<string, torch.Tensor>; metadata: Record<string, string> } {
  return loadSafetensors(readFileSync(join(fixturesDir, `${name}.safetensors`)));
}
/** A fixture tensor moved to `device` (optionally a leaf requiring grad). */
export function onDevice(t: torch.Tensor, device: Device, requiresGrad = false): torch.Tensor {
  const r = t.to(device).detach();
  if (requiresGrad) r.requiresGrad = true;
  return r;
}
