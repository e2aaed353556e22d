// TF.js 4.22 in this process, on three backends: webgpu (on the same Dawn GPU object finetorch
// created, so both run on one adapter), wasm (SIMD build; the wasm files come from node_modules)
// and cpu (plain JS). Switching backends with tf.setBackend keeps each backend's tensors apart.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TF } from './harness.js';

let tfPromise: Promise<TF> | null = null;
const failures: Record<string, string> = {};

async function load(gpu: GPU | null): Promise<TF> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  if (gpu) {
    // tfjs-backend-webgpu looks for navigator.gpu when it registers
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator?.gpu)
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...(g.navigator ?? {}), gpu },
        configurable: true,
        writable: true,
      });
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  // production mode: no debug checks, and no "install tfjs-node" banner from the cpu backend
  tf.enableProdMode();
  registerConv2dGradient(tf);
  return tf;
}

/** TF.js with `backend` active, or the reason it is not available. */
export async function tfjsOn(backend: 'webgpu' | 'wasm' | 'cpu', gpu: GPU | null): Promise<TF | string> {
  if (failures[backend]) return failures[backend];
  if (backend === 'webgpu' && !gpu) return (failures[backend] = 'no WebGPU adapter');
  try {
    tfPromise ??= load(gpu);
    const tf = await tfPromise;
    if (!(await tf.setBackend(backend))) return (failures[backend] = `tf.setBackend('${backend}') failed`);
    await tf.ready();
    return tf;
  } catch (e) {
    return (failures[backend] = `TF.js ${backend}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Threads the wasm backend runs on (1 unless its multi-threaded build loaded), or null before it loaded. */
export async function tfjsWasmThreads(): Promise<number | null> {
  if (!tfPromise || failures.wasm) return null;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}

export async function tfjsVersion(): Promise<string> {
  try {
    const tf = await (tfPromise ?? import('@tensorflow/tfjs-core'));
    return tf.version_core;
  } catch {
    return 'unavailable';
  }
}

// tfjs-core's node bundle registers no gradients (the full @tensorflow/tfjs package does). The
// conv workload needs Conv2D's: the same definition as tfjs-core/src/gradients/Conv2D_grad.ts,
// i.e. its two backprop kernels.
export function registerConv2dGradient(tf: TF): void {
  if (tf.getGradient('Conv2D')) return;
  type T = import('@tensorflow/tfjs-core').Tensor;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as Record<string, unknown>;
      const common = { strides, pad, dataFormat, dimRoundingMode };
      return {
        x: () =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy: dy as T, filter }, {
            ...common,
            inputShape: x.shape,
          } as never) as T,
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy as T }, {
            ...common,
            filterShape: filter.shape,
          } as never) as T,
      };
    },
  });
}
