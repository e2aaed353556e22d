// Registers the `cpu` device: plain TypeScript, available at once and everywhere (the fallback when
// no GPU is found). src/index.ts imports it before the webgpu registration.
import { registerBackend } from '../registry.js';
import { CpuBackend } from './backend.js';

registerBackend('cpu', new CpuBackend());
