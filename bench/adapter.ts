// Prints the WebGPU adapter finetorch gets (bench/gpu.sh runs this first). Exit codes: 0 a hardware
// adapter, 3 no adapter, 4 a software adapter (lavapipe, SwiftShader) unless ALLOW_SOFTWARE=1.
import * as torch from '../src/index.js';

const info = torch.webgpu.info();
if (!info) {
  console.error('no WebGPU adapter (is a Vulkan driver installed? try `vulkaninfo --summary`)');
  process.exit(3);
}
console.log(
  `adapter: ${info.description} | vendor ${info.vendor || '?'} | ${info.architecture || '?'} | backend ${info.backend} | software=${info.isSoftware} | subgroup size ${info.subgroupSize}`,
);
torch.webgpu.release();
process.exit(info.isSoftware && process.env.ALLOW_SOFTWARE !== '1' ? 4 : 0);
