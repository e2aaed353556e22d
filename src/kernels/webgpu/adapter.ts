// From a `GPU` object to a device: the adapter, the limits and features finetorch asks for, and the
// AdapterInfo the kernels tune on. Only the WebGPU API is used here, so any GPU object works: Node's
// comes from the `webgpu` package (node-gpu.ts), a browser's would be navigator.gpu.

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  isSoftware: boolean;
  backend: string;
  /** lanes per subgroup when the device has the `subgroups` feature and a fixed size, else 0 */
  subgroupSize: number;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|warp/;

/**
 * Whether an adapter runs on the CPU: the spec's `isFallbackAdapter` first, then the architecture
 * (Chrome reports e.g. 'swiftshader' there and leaves `description` empty), then Dawn's vendor,
 * device and description strings (Node's adapter names the driver in `description`: 'llvmpipe (LLVM …)').
 */
export function isSoftwareAdapter(ai: {
  isFallbackAdapter?: boolean;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}): boolean {
  if (ai.isFallbackAdapter) return true;
  if (SOFTWARE.test((ai.architecture ?? '').toLowerCase())) return true;
  return SOFTWARE.test(`${ai.vendor} ${ai.device} ${ai.description}`.toLowerCase());
}

/** How to obtain a `GPU` object, and what to run the whole acquisition inside (Node: the stderr filter). */
export interface GpuSource {
  around<T>(acquire: () => Promise<T>): Promise<T>;
  /** the GPU object and the name of its graphics backend for AdapterInfo */
  create(): Promise<{ gpu: GPU; backend: string }>;
}

/**
 * Request the high-performance adapter and a device with the adapter's own limits (not the spec's
 * defaults) and `subgroups` where offered. Resolves null when `gpu` has no adapter. `backend` names
 * the graphics backend for AdapterInfo (Dawn's `backend=` flag, or 'default').
 */
export async function openDevice(gpu: GPU, backend: string): Promise<{ device: GPUDevice; info: AdapterInfo } | null> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const L = adapter.limits;
  // ask for what the adapter can do, not the spec's defaults
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
    maxBufferSize: L.maxBufferSize,
    maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
    maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
  };
  // subgroups let the matmul share loads across lanes (a large win on llvmpipe)
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const ai = adapter.info;
  const sgInfo = ai as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
  const sgMin = sgInfo.subgroupMinSize ?? 0,
    sgMax = sgInfo.subgroupMaxSize ?? 0;
  const description = ai.description || ai.device || ai.architecture || ai.vendor || 'unknown';
  // Chrome moved the flag from the adapter to its info (131); Dawn's Node binding has it on the adapter
  const isFallback = Boolean(
    (ai as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const info: AdapterInfo = {
    vendor: ai.vendor,
    architecture: ai.architecture,
    device: ai.device,
    description,
    isFallbackAdapter: isFallback,
    isSoftware: isSoftwareAdapter({
      isFallbackAdapter: isFallback,
      vendor: ai.vendor,
      architecture: ai.architecture,
      device: ai.device,
      description: ai.description,
    }),
    subgroupSize: device.features.has('subgroups') && sgMin > 0 && sgMin === sgMax ? sgMin : 0,
    backend,
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupSizeX: device.limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    },
  };
  return { device, info };
}
