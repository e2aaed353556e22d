// `finetorch models`: the image-model zoo with parameter counts and the pretrained weights of each
// (torchvision's names, ImageNet accuracy, preprocessing, file name, and whether torch.hub's cache
// already has the file). Read from the weights catalog, so listing loads no tensor stack; a model
// without weights is built once (on cpu) to count its parameters.
import { CATALOG } from '../../models/weights/catalog.js';
import { checkpointsDir, findCached } from '../../models/weights/hub.js';
import { IMAGE_MODELS } from '../../models/names.js';
import { UsageError, type Command } from '../command.js';
import { parseFlags } from '../flags.js';

const usage = 'finetorch models [--json]';

interface Row {
  model: string;
  params: number;
  weights: string;
  default: boolean;
  acc1: number | null;
  acc5: number | null;
  preprocessing: string;
  file: string | null;
  cached: boolean;
}

async function paramsOf(model: string): Promise<number> {
  const torch = await import('../../index.js');
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  try {
    return torch.models
      .create(model)
      .parameters()
      .reduce((s, p) => s + p.numel(), 0);
  } finally {
    torch.setDefaultDevice(prev);
  }
}

async function rows(): Promise<Row[]> {
  const out: Row[] = [];
  for (const model of IMAGE_MODELS) {
    const entry = Object.hasOwn(CATALOG, model) ? CATALOG[model] : undefined;
    if (!entry) {
      out.push({
        model,
        params: await paramsOf(model),
        weights: '-',
        default: false,
        acc1: null,
        acc5: null,
        preprocessing: '',
        file: null,
        cached: false,
      });
      continue;
    }
    for (const [name, w] of Object.entries(entry.weights)) {
      out.push({
        model,
        params: w.numParams,
        weights: `${entry.enumName}.${name}`,
        default: name === entry.default,
        acc1: w.metrics['acc@1'] ?? null,
        acc5: w.metrics['acc@5'] ?? null,
        preprocessing: `resize ${w.resize}, crop ${w.crop}, ${w.interpolation}`,
        file: w.file,
        cached: findCached([w.file, ...(w.aliases ?? [])]) !== null,
      });
    }
  }
  return out;
}

function table(rs: Row[]): string {
  const head = ['model', 'params', 'weights', 'acc@1', 'acc@5', 'preprocessing', 'file'];
  const body = rs.map((r, i) => {
    const again = i > 0 && rs[i - 1].model === r.model;
    return [
      again ? '' : r.model,
      again ? '' : r.params.toLocaleString('en-US'),
      `${r.weights}${r.default ? ' (DEFAULT)' : ''}`,
      r.acc1?.toFixed(3) ?? '',
      r.acc5?.toFixed(3) ?? '',
      r.preprocessing,
      r.file ? `${r.file}${r.cached ? ' (cached)' : ''}` : '',
    ];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const right = new Set([1, 3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (right.has(c) ? s.padStart(widths[c]) : s.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export const command: Command = {
  summary: 'list the image models with their parameter counts and pretrained weights',
  usage,
  async run(args) {
    const f = parseFlags(args, { json: 'bool' });
    if (f._.length) throw new UsageError(`unexpected argument '${f._[0]}'`);
    const rs = await rows();
    if (f.json) {
      console.log(JSON.stringify({ cache: checkpointsDir(), models: rs }, null, 1));
      return 0;
    }
    console.log(table(rs));
    console.log(
      `\nweights: --weights DEFAULT or a name above (finetune, predict); files live in ${checkpointsDir()} (torch.hub's cache) and are downloaded there when absent`,
    );
    return 0;
  },
};
