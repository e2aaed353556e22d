// The page's UI thread: buttons, the module table, the live curve, the drawing pad and the file drop.
// All model work happens in worker.ts (through client.ts), so this thread only draws. `?device=cpu`
// runs on the cpu device even where WebGPU exists; `?autotune=0` skips timing kernels (worker.ts). document.body.dataset.state tells tests (and
// styles) where the page is: loading, ready, frozen, training, trained, or error.
import { drawCurve, type CurveData } from './chart.js';
import { connect } from './client.js';
import { drawingPad } from './pad.js';
import type { Tree } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL(`./worker.js${location.search}`, import.meta.url), { type: 'module' });
const call = connect(worker);
const setState = (s: string) => {
  document.body.dataset.state = s;
};
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const fail = (e: unknown) => {
  setState('error');
  $('status').innerHTML = `<span class="err">${String((e as Error).message ?? e)}</span>`;
  console.error(e);
};

function showTree(t: Tree): void {
  const rows = t.rows.map(
    (r) =>
      `<tr class="${r.trainable ? 'trainable' : 'frozen'}"><td>${r.module}</td><td>${r.type}</td>` +
      `<td class="n">${r.params.toLocaleString('en-US')}</td><td class="n">${r.trainable.toLocaleString('en-US')}</td><td>${r.state}</td></tr>`,
  );
  $('tree').innerHTML =
    `<tr><th>module</th><th>type</th><th>params</th><th>trainable</th><th>state</th></tr>${rows.join('')}`;
  $('totals').textContent =
    `${t.total.toLocaleString('en-US')} parameters, ${t.trainable.toLocaleString('en-US')} trainable`;
}

const device = new URLSearchParams(location.search).get('device') === 'cpu' ? 'cpu' : 'auto';
setState('loading');
const ready = call('init', { device }).then((r) => {
  $('adapter').textContent =
    r.device === 'webgpu'
      ? `running on WebGPU: ${r.adapter}${r.software ? ' (software)' : ''}`
      : `running on the cpu device (${r.adapter})`;
  $('load').textContent = r.load;
  showTree(r.tree);
  (['freeze', 'train'] as const).forEach((b) => {
    $<HTMLButtonElement>(b).disabled = false;
  });
  setState('ready');
  return r;
}, fail);

$('freeze').onclick = () =>
  call('freeze', {}).then((r) => {
    showTree(r.tree);
    $<HTMLButtonElement>('freeze').disabled = true;
    setState('frozen');
  }, fail);

$('train').onclick = () => {
  const epochs = Math.max(1, Math.min(30, Number($<HTMLInputElement>('epochs').value) || 6));
  const curve: CurveData = { steps: epochs, loss: [], acc: [] };
  const canvas = $<HTMLCanvasElement>('curve');
  $<HTMLButtonElement>('train').disabled = true;
  $('accuracy').textContent = '';
  setState('training');
  call('train', { epochs }, (e) => {
    curve.loss.push({ x: e.epoch, y: e.trainLoss });
    curve.acc.push({ x: e.epoch, y: e.valAccuracy });
    $('status').textContent =
      `epoch ${e.epoch}/${epochs}: train loss ${e.trainLoss.toFixed(4)}, val accuracy ${pct(e.valAccuracy)}`;
    drawCurve(canvas, curve);
  }).then((r) => {
    $('accuracy').textContent =
      `test accuracy on digits 5–9: ${pct(r.testAccuracy)} (loss ${r.testLoss.toFixed(4)}), ` +
      `frozen backbone ${r.backboneUnchanged ? 'bitwise unchanged' : 'CHANGED'}, ${r.seconds.toFixed(1)} s`;
    $<HTMLButtonElement>('train').disabled = false;
    $<HTMLButtonElement>('download').disabled = false;
    setState('trained');
  }, fail);
};

const pad = drawingPad($<HTMLCanvasElement>('pad'), (pixels) => {
  call('predict', { pixels }).then((r) => {
    $('prediction').innerHTML = r.top
      .map((t, i) => `<div${i ? '' : ' style="font-size:20px;font-weight:600"'}>${t.digit}: ${pct(t.p)}</div>`)
      .join('');
  }, fail);
});
$('clear').onclick = () => {
  pad.clear();
  $('prediction').textContent = '';
};

async function inspect(file: File): Promise<void> {
  const r = await call('inspect', { name: file.name, bytes: await file.arrayBuffer() });
  const w = Math.max(3, ...r.tensors.map((t) => t.key.length));
  $('keys').textContent = [
    `${file.name}: ${r.format}, ${r.tensors.length} tensors, ${r.parameters.toLocaleString('en-US')} parameters`,
    ...r.tensors.map((t) => `  ${t.key.padEnd(w)}  ${t.dtype.padEnd(5)}  [${t.shape.join(', ')}]`),
    ...r.other.map((o) => `  ${o}`),
  ].join('\n');
}
const showError = (e: unknown) => {
  $('keys').innerHTML = `<span class="err">${String((e as Error).message ?? e)}</span>`;
};
$<HTMLInputElement>('file').onchange = (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) inspect(f).catch(showError);
};
const drop = $('drop');
drop.ondragover = (e) => {
  e.preventDefault();
  drop.classList.add('over');
};
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) inspect(f).catch(showError);
};

$('download').onclick = () =>
  call('weights', {}).then((r) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([r.bytes], { type: 'application/octet-stream' }));
    a.download = 'smallcnn-digits59.safetensors';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, fail);

// for the browser test: the same worker the buttons use
Object.assign(window, { finetorchPage: { call, ready } });
