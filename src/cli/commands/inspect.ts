// `finetorch inspect FILE [--json]`: what a checkpoint holds (keys, stored dtypes, shapes, parameter
// count, bytes), read from its header or pickle without decoding any tensor data.
import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../../errors.js';
import { inspectCheckpoint } from '../../io/index.js';
import { parseFlags } from '../flags.js';
import { UsageError, type Command } from '../command.js';

const usage = 'finetorch inspect FILE [--json]';

/** stored element types by their PyTorch names */
export const TORCH_DTYPE: Record<string, string> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

export const command: Command = {
  summary: 'list the tensors of a .pth/.pt or .safetensors checkpoint (dtypes, shapes, sizes)',
  usage,
  async run(args) {
    const f = parseFlags(args, { json: 'bool' });
    if (f._.length !== 1)
      throw new UsageError(f._.length ? `expected one FILE, got ${f._.length}` : 'FILE is required');
    const file = f._[0];
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new CheckpointError(`cannot read '${file}': ${(e as Error).message}`);
    }
    const s = inspectCheckpoint(bytes);
    const tensors = s.tensors.map((t) => ({ ...t, dtype: TORCH_DTYPE[t.dtype] ?? t.dtype }));
    if (f.json) {
      console.log(
        JSON.stringify(
          { file, format: s.format, tensors, parameters: s.parameters, bytes: s.bytes, other: s.other },
          (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
          1,
        ),
      );
      return 0;
    }
    const kind = s.format === 'pth' ? 'PyTorch zip checkpoint' : 'safetensors';
    console.log(
      `${file}: ${kind}, ${tensors.length} tensor${tensors.length === 1 ? '' : 's'}, ${s.parameters.toLocaleString('en-US')} parameters, ${s.bytes.toLocaleString('en-US')} bytes of tensor data`,
    );
    if (tensors.length) {
      const w = Math.max(3, ...tensors.map((t) => t.key.length));
      console.log(`  ${'key'.padEnd(w)}  ${'dtype'.padEnd(8)}  shape`);
      for (const t of tensors)
        console.log(
          `  ${t.key.padEnd(w)}  ${t.dtype.padEnd(8)}  [${t.shape.join(', ')}]${t.requiresGrad ? '  requires_grad' : ''}`,
        );
    }
    const other = Object.entries(s.other);
    if (other.length) {
      console.log(s.format === 'pth' ? 'other values:' : 'metadata:');
      for (const [k, v] of other)
        console.log(
          `  ${k} = ${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
        );
    }
    return 0;
  },
};
