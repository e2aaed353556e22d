// `--device cpu|webgpu` for every command that runs a model. The chosen device becomes the default
// BEFORE the model is built, so parameters are created there: building on webgpu and then moving
// to cpu would need an asynchronous readback (`toAsync`), which `Module.to` refuses.
import { UsageError } from './command.js';

type Torch = typeof import('../index.js');
export type CliDevice = 'cpu' | 'webgpu';

/** The --device value checked (undefined: the default device, decided once torch is loaded). */
export function parseDevice(flag: unknown): CliDevice | undefined {
  if (flag === undefined) return undefined;
  if (flag !== 'cpu' && flag !== 'webgpu')
    throw new UsageError(`--device must be cpu or webgpu, got '${String(flag)}'`);
  return flag;
}

/** Make `wanted` (or the default device) the default device and return it; an absent adapter is a DeviceError. */
export function useDevice(torch: Torch, wanted: CliDevice | undefined): CliDevice {
  const device = wanted ?? torch.defaultDevice();
  if (!torch.isAvailable(device))
    throw new torch.DeviceError(
      `--device ${device} is not available on this machine (no WebGPU adapter); use --device cpu`,
    );
  torch.setDefaultDevice(device);
  return device;
}
