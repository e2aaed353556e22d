// Optimizer state dicts cross to real PyTorch and back (tools/reference/optim_roundtrip.py): finetorch
// saves SGD (momentum, Nesterov, weight decay) and Adam (amsgrad) after 3 steps with torch.save,
// PyTorch's optimizer loads it and takes a 4th step that must land where finetorch's 4th step lands;
// and PyTorch's own state after 3 steps, loaded here, must reproduce PyTorch's 4th step. The param
// groups carry PyTorch 1.13's keys (foreach, differentiable, capturable, fused, maximize). Needs
// /usr/bin/python3 with torch; without it the test is skipped with a line saying why, unless
// FINETORCH_REQUIRE_TORCH=1, where it fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, onDevice, torch } from '../harness.js';
import { liveTorch, PYTHON, repoRoot } from '../live-torch.js';

const gate = liveTorch('test/optim/torch-roundtrip: the live PyTorch optimizer round trip');
const root = repoRoot;

const dir = mkdtempSync(join(tmpdir(), 'finetorch-optim-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { optim } = torch;
type Tensor = torch.Tensor;
type Device = 'cpu' | 'webgpu';
const fx = fixture('optim/optimizers');
const NAMES = ['w', 'b'] as const;
// constructor options here, keyword arguments there
const HYPER = {
  sgd: {
    ft: { lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true },
    py: { lr: 0.05, momentum: 0.9, weight_decay: 0.01, nesterov: true },
  },
  adam: {
    ft: { lr: 0.01, betas: [0.8, 0.99] as [number, number], weightDecay: 0.05, amsgrad: true },
    py: { lr: 0.01, betas: [0.8, 0.99], weight_decay: 0.05, amsgrad: true },
  },
};
const make = (name: 'sgd' | 'adam', params: Tensor[]): torch.optim.Optimizer =>
  name === 'sgd' ? new optim.SGD(params, HYPER.sgd.ft) : new optim.Adam(params, HYPER.adam.ft);
const grad = (s: number, n: string, device: Device) => onDevice(fx.tensors[`grad.${s}.${n}`], device);
const stepWith = (opt: torch.optim.Optimizer, params: Tensor[], s: number, device: Device) => {
  params.forEach((p, i) => {
    p.grad = grad(s, NAMES[i], device);
  });
  opt.step();
};
/** a leaf on `device` with its own storage (on cpu, onDevice would share the fixture's, and steps are in place) */
const fresh = (t: Tensor, device: Device) => {
  const c = t.to(device).detach().clone();
  c.requiresGrad = true;
  return c;
};
const byName = (params: Tensor[]) => Object.fromEntries(params.map((p, i) => [NAMES[i], p]));

eachDevice((device) => {
  it.runIf(gate.run)('SGD and Adam state dicts load in torch.optim and back', async () => {
    gate.assert();
    const init = Object.fromEntries(NAMES.map((n) => [n, fx.tensors[`init.${n}`]]));
    const saved: Record<string, unknown> = {
      init,
      grads: [0, 1, 2, 3].map((s) => Object.fromEntries(NAMES.map((n) => [n, fx.tensors[`grad.${s}.${n}`]]))),
      hyper: { sgd: HYPER.sgd.py, adam: HYPER.adam.py },
    };
    const mine: Record<string, { opt: torch.optim.Optimizer; params: Tensor[] }> = {};
    for (const name of ['sgd', 'adam'] as const) {
      const params = NAMES.map((n) => fresh(init[n], device));
      const opt = make(name, params);
      for (let s = 0; s < 3; s++) stepWith(opt, params, s, device);
      saved[name] = opt.stateDict();
      saved[`${name}_params`] = byName(params);
      mine[name] = { opt, params };
    }
    await torch.save(saved, join(dir, 'ft.pth'));
    const r = spawnSync(PYTHON, [join(root, 'tools', 'reference', 'optim_roundtrip.py'), dir], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const back = await torch.load(join(dir, 'torch.pth'), { device: 'cpu' });

    for (const name of ['sgd', 'adam'] as const) {
      expect(back[`${name}_keys_loaded`], `${name} param-group keys`).toEqual(back[`${name}_keys_torch`]);
      // finetorch → PyTorch: PyTorch's 4th step from finetorch's state equals finetorch's own
      const { opt, params } = mine[name];
      stepWith(opt, params, 3, device);
      for (const [i, n] of NAMES.entries())
        await expectClose(params[i], back[`${name}_continued`][n], undefined, `${name} finetorch→torch ${n}`);
      // PyTorch → finetorch: PyTorch's state after 3 steps, loaded into an optimizer built with
      // other hyperparameters (the loaded groups replace them), takes PyTorch's 4th step
      const ps = NAMES.map((n) => fresh(back[`${name}_params3`][n], device));
      const opt2 = name === 'sgd' ? new optim.SGD(ps, { lr: 1 }) : new optim.Adam(ps);
      opt2.loadStateDict(back[`${name}_state`]);
      expect(opt2.state.size).toBe(2);
      stepWith(opt2, ps, 3, device);
      for (const [i, n] of NAMES.entries())
        await expectClose(ps[i], back[`${name}_params4`][n], undefined, `${name} torch→finetorch ${n}`);
    }
  });
});
