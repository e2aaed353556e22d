// Checkpoints: safetensors and PyTorch .pth, `torch.load` / `torch.save`.
export { loadSafetensors, saveSafetensors, parseSafetensorsHeader } from './safetensors.js';
