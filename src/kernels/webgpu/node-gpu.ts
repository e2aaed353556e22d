// Where the GPU comes from in Node: the `webgpu` npm package (Dawn's Node bindings), created with
// the Dawn toggles in FINETORCH_WEBGPU_FLAGS, while Dawn's adapter-enumeration warnings are kept off
// stderr (quiet-dawn.ts). This is the only file that knows about the package; the runtime takes a
// GpuSource, so another environment (a browser's navigator.gpu) supplies its own.
import type { GpuSource } from './adapter.js';
import { withDawnWarningsFiltered } from './quiet-dawn.js';

export const nodeGpu: GpuSource = {
  around: withDawnWarningsFiltered,
  async create() {
    // Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" without one
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = (await import('node:os')).tmpdir();
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const flags = (process.env.FINETORCH_WEBGPU_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const gpu = create(flags);
    return { gpu, backend: flags.find((f) => f.startsWith('backend='))?.slice(8) ?? 'default' };
  },
};
