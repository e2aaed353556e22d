// `gradcheck`: compare the gradients backward computes with central finite differences, as
// torch.autograd.gradcheck does. finetorch is float32, so the defaults are float32-sized (PyTorch's
// eps 1e-6 assumes float64); values are read back, hence async, and any device works.
import { AutogradError, fmtShape } from '../errors.js';
import { scope } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { grad } from './engine.js';
import { noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  /** finite-difference step */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** throw an AutogradError naming the mismatch (default) instead of returning false */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

const outputsOf = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r : [r]).filter((t) => t.dtype === 'float32');
const host = async (t: Tensor) => Float64Array.from(await t.data());

/**
 * For every float output element j and every element i of each input that requires grad, checks
 * d out_j / d in_i from backward against (f(x + eps e_i) - f(x - eps e_i)) / 2 eps:
 * |analytical - numerical| <= atol + rtol |numerical|. Resolves true when all agree.
 */
export async function gradcheck(fn: Fn, inputs: Tensor[], opts: GradcheckOptions = {}): Promise<boolean> {
  const { eps = 1e-3, atol = 1e-3, rtol = 1e-2, raiseException = true } = opts;
  const wrt = inputs.map((_t, k) => k).filter((k) => inputs[k].requiresGrad);
  if (!wrt.length) throw new AutogradError('gradcheck: no input requires grad');
  for (const k of wrt) {
    if (!inputs[k].isLeaf)
      throw new AutogradError(`gradcheck: input ${k} (shape ${fmtShape(inputs[k].shape)}) must be a leaf`);
  }
  const values = await Promise.all(inputs.map((t) => t.data()));

  // numerical Jacobian, one column per perturbed input element: jn[k][i] = d outs / d x_k[i]
  const evaluate = async (k: number, i: number, delta: number): Promise<Float64Array[]> => {
    const outs = scope(() =>
      noGrad(() => {
        const xs = inputs.map((t, m) => {
          if (m !== k) return t.detach();
          const v = Float32Array.from(values[m]);
          v[i] += delta;
          return Tensor.fromHost(v, t.shape, t.dtype, t.device);
        });
        return outputsOf(fn(...xs));
      }),
    );
    const r = await Promise.all(outs.map(host));
    for (const o of outs) o.dispose();
    return r;
  };
  const numerical: Float64Array[][][] = [];
  for (const k of wrt) {
    const cols: Float64Array[][] = [];
    for (let i = 0; i < inputs[k].numel(); i++) {
      // the perturbation actually applied in float32 (x + eps rounds)
      const x = Math.fround(values[k][i]);
      const hi = Math.fround(x + eps) - x,
        lo = x - Math.fround(x - eps);
      const [fp, fm] = [await evaluate(k, i, hi), await evaluate(k, i, -lo)];
      cols.push(fp.map((p, j) => p.map((v, e) => (v - fm[j][e]) / (hi + lo))));
    }
    numerical.push(cols);
  }

  // analytical Jacobian, one row per output element: the gradient of out_j[e] w.r.t. each input
  const outs = outputsOf(fn(...inputs));
  const failures: string[] = [];
  for (let j = 0; j < outs.length; j++) {
    const o = outs[j];
    if (!o.requiresGrad) {
      // no path to any input: the numerical Jacobian must be zero
      for (let w = 0; w < wrt.length; w++) {
        numerical[w].forEach((col, i) =>
          col[j].forEach((n, e) => {
            if (Math.abs(n) > atol)
              failures.push(
                `output ${j}[${e}] w.r.t. input ${wrt[w]}[${i}]: numerical ${n}, analytical 0 (output does not require grad)`,
              );
          }),
        );
      }
      continue;
    }
    for (let e = 0; e < o.numel(); e++) {
      const onehot = new Float32Array(o.numel());
      onehot[e] = 1;
      const gOut = Tensor.fromHost(onehot, o.shape, 'float32', o.device);
      const gs = grad(
        o,
        wrt.map((k) => inputs[k]),
        gOut,
        { retainGraph: true, allowUnused: true },
      );
      gOut.dispose();
      for (let w = 0; w < wrt.length; w++) {
        const g = gs[w];
        const a = g ? await host(g) : new Float64Array(inputs[wrt[w]].numel());
        g?.dispose();
        a.forEach((av, i) => {
          const n = numerical[w][i][j][e];
          if (!(Math.abs(av - n) <= atol + rtol * Math.abs(n))) {
            failures.push(`output ${j}[${e}] w.r.t. input ${wrt[w]}[${i}]: numerical ${n}, analytical ${av}`);
          }
        });
      }
    }
  }
  for (const o of outs) o.dispose();
  if (!failures.length) return true;
  if (!raiseException) return false;
  const more = failures.length > 5 ? ` (and ${failures.length - 5} more)` : '';
  throw new AutogradError(
    `gradcheck: Jacobian mismatch (eps ${eps}, atol ${atol}, rtol ${rtol}): ${failures.slice(0, 5).join('; ')}${more}`,
  );
}
