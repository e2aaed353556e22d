// `finetorch forward`: run a model on an input tensor and write the logits, to check a port
// against PyTorch (input under key `input`, output under key `output`).
import { writeFileSync } from 'node:fs';
import type { Command } from '../main.js';
import { UsageError } from '../main.js';
import { parseFlags } from '../flags.js';

const usage = 'finetorch forward --model resnet18|resnet34|resnet50|smallcnn --weights W --input X.safetensors --output Y.safetensors [--device cpu|webgpu] [--num-classes N]';

export const command: Command = {
  summary: 'run a model on an input tensor and save the logits (port checks against PyTorch)',
  usage,
  async run(args) {
    const f = parseFlags(args, { model: 'string', weights: 'string', input: 'string', output: 'string', device: 'string', 'num-classes': 'int' });
    for (const k of ['model', 'weights', 'input', 'output'] as const) if (!f[k]) throw new UsageError(`--${k} is required`);
    const torch = await import('../../index.js');
    const device = (f.device as string | undefined) ?? torch.defaultDevice();
    if (device !== 'cpu' && device !== 'webgpu') throw new UsageError(`--device must be cpu or webgpu, got '${device}'`);
    const model = torch.models.create(f.model as string, { numClasses: (f['num-classes'] as number | undefined) ?? 1000 });
    model.loadStateDict((await torch.load(f.weights as string)) as Record<string, InstanceType<typeof torch.Tensor>>, { strict: true });
    model.to(device).eval();
    const inputs = (await torch.load(f.input as string)) as Record<string, InstanceType<typeof torch.Tensor>>;
    if (!inputs.input) throw new UsageError(`${f.input} has no tensor under key 'input' (keys: ${Object.keys(inputs).join(', ')})`);
    const out = torch.noGrad(() => model.call(inputs.input.to(device)));
    writeFileSync(f.output as string, await torch.saveSafetensors({ output: out }));
    console.log(`wrote ${f.output}: output ${JSON.stringify(out.shape)} from ${f.model} on ${device}`);
    return 0;
  },
};
