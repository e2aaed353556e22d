// Compiled compute pipelines, one per kernel key (kernel name plus everything its WGSL is specialised
// on), so a shader is generated and compiled once per process. Pipelines and shader modules are
// labelled with the key, and a compile error is reported (not thrown) naming it: Dawn validates
// asynchronously, so the error reaches `report` later and is thrown at the next readback.

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly report: (message: string) => void,
  ) {}

  /** The pipeline for `key`, compiling `source()` (entry point `main`, bind group 0 laid out by the shader) on first use. */
  get(key: string, source: () => string): CachedPipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ label: key, code: source() });
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      void this.device.popErrorScope().then((e) => {
        if (e) this.report(`kernel ${key}: ${e.message}`);
      });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, p);
    }
    return p;
  }
}
