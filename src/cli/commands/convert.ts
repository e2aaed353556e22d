// `finetorch convert IN OUT [--key PATH]`: between .pth/.pt and .safetensors (either direction, the
// output format from OUT's extension). A nested .pth checkpoint converts to safetensors by dotted
// tensor names; `--key model` picks one part of it (e.g. the model's state dict of a training checkpoint).
import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../../errors.js';
import { detectFormat, inspectCheckpoint, load, loadSafetensors, save } from '../../io/index.js';
import { preview } from '../../io/json.js';
import { walkLoaded } from '../../io/walk.js';
import { Tensor } from '../../tensor/tensor.js';
import { parseFlags } from '../flags.js';
import { UsageError, type Command } from '../command.js';
import { TORCH_DTYPE } from './inspect.js';

const usage = 'finetorch convert IN OUT [--key PATH]   (IN/OUT: .pth, .pt or .safetensors)';

/**
 * Tensors of a nested object by dotted path; the first few non-tensor leaves are reported. One linear
 * walk (io/walk.ts): a part shared or cyclic in the file is listed once, under its first path.
 */
function flatten(v: unknown, out: Map<string, Tensor>, bad: string[]): void {
  walkLoaded(
    v,
    (x, path) => {
      if (x instanceof Tensor) out.set(path, x);
      else if (x === null || typeof x !== 'object') bad.push(`${path || '<top>'} = ${preview(x)}`);
    },
    { what: 'convert' },
  );
}

export const command: Command = {
  summary: 'convert a checkpoint between .pth/.pt and .safetensors',
  usage,
  async run(args) {
    const f = parseFlags(args, { key: 'string' });
    if (f._.length !== 2)
      throw new UsageError(`expected IN and OUT, got ${f._.length} argument${f._.length === 1 ? '' : 's'}`);
    const [input, output] = f._;
    const outFormat = /\.safetensors$/i.test(output) ? 'safetensors' : /\.(pth|pt)$/i.test(output) ? 'pth' : null;
    if (!outFormat)
      throw new UsageError(`cannot tell the output format of '${output}' (use .pth, .pt or .safetensors)`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(input);
    } catch (e) {
      throw new CheckpointError(`cannot read '${input}': ${(e as Error).message}`);
    }
    const inFormat = detectFormat(bytes);
    const stored = new Set(inspectCheckpoint(bytes).tensors.map((t) => t.dtype));
    let obj: unknown;
    let metadata: Record<string, string> | undefined;
    if (inFormat === 'safetensors') ({ tensors: obj, metadata } = loadSafetensors(bytes));
    else obj = await load(bytes);
    if (f.key) {
      for (const part of (f.key as string).split('.')) {
        if (obj === null || typeof obj !== 'object' || !Object.hasOwn(obj, part)) {
          throw new UsageError(
            `--key ${f.key}: '${part}' is not in the checkpoint (keys there: ${obj && typeof obj === 'object' ? Object.keys(obj).slice(0, 8).join(', ') : 'none'})`,
          );
        }
        obj = (obj as Record<string, unknown>)[part];
      }
    }
    let count: number;
    if (outFormat === 'safetensors') {
      const tensors = new Map<string, Tensor>();
      const bad: string[] = [];
      flatten(obj, tensors, bad);
      if (bad.length) {
        throw new CheckpointError(
          `safetensors holds tensors only, but ${input} also has ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}; pick the tensors with --key (e.g. --key model)`,
        );
      }
      if (tensors.has(''))
        throw new CheckpointError(
          `${input} holds a single tensor, not a mapping of names to tensors; safetensors needs names`,
        );
      await save(tensors as unknown as Record<string, Tensor>, output, { metadata });
      count = tensors.size;
    } else {
      if (metadata && Object.keys(metadata).length)
        console.error(
          `note: the safetensors __metadata__ (${Object.keys(metadata).length} entries) has no place in a .pth and is dropped`,
        );
      await save(obj, output);
      const m = new Map<string, Tensor>();
      flatten(obj, m, []);
      count = m.size;
    }
    const widened = [...stored]
      .filter((d) => !['F32', 'I32', 'BOOL'].includes(d))
      .map((d) => `${TORCH_DTYPE[d] ?? d} → ${d[0] === 'F' || d === 'BF16' ? 'float32' : 'int32'}`);
    if (widened.length) console.error(`note: stored as ${widened.join(', ')} (the dtypes tensors have here)`);
    console.log(`wrote ${output} (${outFormat}): ${count} tensor${count === 1 ? '' : 's'} from ${input} (${inFormat})`);
    return 0;
  },
};
