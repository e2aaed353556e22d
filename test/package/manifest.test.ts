// The package's manifest and the silent import, checked in `npm test` (the full pack-and-install smoke
// test is test/package/smoke.mjs, run by .ci/run): what is published, how it is entered, and that the
// stderr filter around Dawn's adapter enumeration drops exactly its two limit warnings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropDawnLimitWarnings } from '../../src/kernels/webgpu/quiet-dawn.js';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const WARNINGS = ['Uniform', 'Storage'].map(
  (k) =>
    `Warning: maxDynamic${k}BuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n`,
);

describe('package.json', () => {
  it('publishes the built library, its types, the bin, README and LICENSE only', () => {
    expect(pkg.files).toEqual(
      expect.arrayContaining(['dist/src/**/*.js', 'dist/src/**/*.d.ts', 'bin/finetorch.js', 'README.md', 'LICENSE']),
    );
    for (const f of pkg.files as string[])
      expect(f).not.toMatch(/^(test|bench|tools|examples|scripts|src|\.ci)\b|\.map$/);
  });
  it('builds before packing and on git installs, and exports types, import and default', () => {
    expect(pkg.scripts.prepack).toBe('npm run build && npm run build:browser');
    expect(pkg.scripts.prepare).toBeDefined();
    expect(pkg.exports['.']).toMatchObject({
      types: './dist/src/index.d.ts',
      import: './dist/src/index.js',
      default: './dist/src/index.js',
    });
    expect(Object.keys(pkg.exports['.'])[0]).toBe('types'); // TypeScript reads the first matching condition
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
  it('keeps mnist out of a library install (an optional peer, a dev dependency of the clone)', () => {
    expect(pkg.dependencies.mnist).toBeUndefined();
    expect(pkg.peerDependenciesMeta.mnist.optional).toBe(true);
    expect(pkg.devDependencies.mnist).toBeDefined();
  });
  it('runs the compiled CLI, never tsx', () => {
    expect(pkg.bin.finetorch).toBe('./bin/finetorch.js');
    expect(readFileSync(join(root, 'bin/finetorch.js'), 'utf8')).not.toMatch(/tsx/);
  });
  it('names no mirror or registry host in the driver script', () => {
    expect(readFileSync(join(root, 'scripts/install-webgpu-driver.sh'), 'utf8')).not.toMatch(/https?:\/\/[a-z]/i);
  });
});

describe("Dawn's limit warnings", () => {
  it('drops exactly the two lines and keeps everything else', () => {
    const other = 'Warning: something else\nfinetorch: timing kernels\n';
    expect(dropDawnLimitWarnings(WARNINGS[0] + other + WARNINGS[1])).toBe(other);
    expect(dropDawnLimitWarnings(WARNINGS[0].replace('1000000', 'many'))).not.toBe('');
  });

  // a child whose stderr is a pipe writes the warnings to fd 2 natively (as Dawn does, bypassing
  // process.stderr) inside the filter, plus a line of its own; only its own line comes out
  it.runIf(process.platform === 'linux')('filters them at the file descriptor, through a shell pipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'finetorch-quiet-'));
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import { withDawnWarningsFiltered } from ${JSON.stringify(join(root, 'src/kernels/webgpu/quiet-dawn.ts'))};
const r = await withDawnWarningsFiltered(async () => {
  writeSync(2, ${JSON.stringify(WARNINGS[0])});
  await new Promise((res) => setTimeout(res, 10));
  writeSync(2, ${JSON.stringify(WARNINGS[1])});
  process.stderr.write('kept line\\n');
  return 42;
});
process.stderr.write('after ' + r + '\\n');
`,
    );
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --import tsx "${script}" 2>&1 | cat`], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('kept line\nafter 42\n');
  });
});
