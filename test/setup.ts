// Print once which adapter the webgpu half of the suite runs on.
import * as torch from '../src/index.js';

const g = globalThis as { __finetorchAdapterPrinted?: boolean };
if (!g.__finetorchAdapterPrinted) {
  g.__finetorchAdapterPrinted = true;
  const info = torch.webgpu.info();
  console.log(
    info
      ? `finetorch webgpu adapter: ${info.description} (vendor ${info.vendor || '?'}, software=${info.isSoftware})`
      : 'finetorch: no webgpu adapter, cpu only',
  );
}
