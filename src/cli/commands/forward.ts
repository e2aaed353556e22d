// `finetorch forward`: run a model on an input tensor and write the logits, to check a port
// against PyTorch (input under key `input`, output under key `output`).
import { writeFileSync } from 'node:fs';
import { readStateDict } from '../../finetune/source.js';
import { UsageError, type Command } from '../command.js';
import { parseDevice, useDevice } from '../device.js';
import { parseFlags } from '../flags.js';
import { IMAGE_MODELS as MODELS } from '../../models/names.js';

const usage = `finetorch forward --model ${MODELS.join('|')} --weights W --input X.safetensors --output Y.safetensors [--device cpu|webgpu] [--num-classes N]`;

export const command: Command = {
  summary: 'run a model on an input tensor and save the logits (port checks against PyTorch)',
  usage,
  async run(args) {
    const f = parseFlags(args, {
      model: 'string',
      weights: 'string',
      input: 'string',
      output: 'string',
      device: 'string',
      'num-classes': 'int',
    });
    for (const k of ['model', 'weights', 'input', 'output'] as const)
      if (!f[k]) throw new UsageError(`--${k} is required`);
    if (f._.length) throw new UsageError(`unexpected argument '${f._[0]}'`);
    if (!(MODELS as readonly string[]).includes(f.model as string))
      throw new UsageError(`--model must be one of ${MODELS.join(', ')}, got '${f.model}'`);
    const numClasses = (f['num-classes'] as number | undefined) ?? 1000;
    if (numClasses <= 0) throw new UsageError(`--num-classes must be positive, got ${numClasses}`);
    const wanted = parseDevice(f.device);
    const torch = await import('../../index.js');
    const device = useDevice(torch, wanted);
    const model = torch.models.create(f.model as string, { numClasses });
    model.loadStateDict((await readStateDict(f.weights as string, '--weights')).tensors, { strict: true });
    model.eval();
    const inputs = (await readStateDict(f.input as string, '--input')).tensors;
    const x = inputs.get('input');
    if (!x) throw new UsageError(`${f.input} has no tensor under key 'input' (keys: ${[...inputs.keys()].join(', ')})`);
    const out = torch.noGrad(() => model.call(x.to(device)));
    writeFileSync(f.output as string, await torch.saveSafetensors({ output: out }));
    console.log(`wrote ${f.output}: output ${JSON.stringify(out.shape)} from ${f.model} on ${device}`);
    return 0;
  },
};
