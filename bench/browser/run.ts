// `npm run bench:browser`: the in-browser benchmark (bench/browser/bench.ts) in headless Chromium
// with WebGPU (--enable-unsafe-webgpu; on a machine without a GPU that is SwiftShader), served from
// 127.0.0.1 cross-origin isolated (so TF.js wasm may use threads). Prints the markdown tables and
// writes bench/results/browser-<adapter>.json. CHROMIUM_PATH picks the browser.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BROWSER_BUNDLE, buildBrowserBundle, ROOT } from '../../examples/web/build.mjs';
import { serve } from '../../examples/web/serve.mjs';
import { chromiumPath, launch } from '../../test/browser/chromium.js';
import { slug } from '../lib/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(ROOT, 'dist/bench-browser');
const WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** bench/lib/ours.ts imports src/index.js; in the page that is the browser bundle beside it. */
const finetorchBundle = {
  name: 'finetorch-bundle',
  setup(b: {
    onResolve: (o: { filter: RegExp }, f: (a: { path: string }) => { path: string; external: boolean }) => void;
  }) {
    b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: './finetorch.js', external: true }));
  },
};

async function main() {
  if (!chromiumPath()) throw new Error('no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
  mkdirSync(OUT, { recursive: true });
  buildBrowserBundle();
  await build({
    entryPoints: [join(here, 'bench.ts')],
    outfile: join(OUT, 'bench.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    plugins: [finetorchBundle],
  });
  copyFileSync(join(here, 'index.html'), join(OUT, 'index.html'));
  copyFileSync(BROWSER_BUNDLE, join(OUT, 'finetorch.js'));
  for (const f of WASM) copyFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f), join(OUT, f));

  const site = await serve(OUT);
  const browser = await launch(true);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page: ${String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') console.error(`page ${m.type()}: ${m.text()}`);
    });
    await page.goto(site.url);
    const result = (await page.evaluate('window.benchResult')) as {
      adapter: { description: string } | null;
      tables: string[];
    };
    const adapter = result.adapter ? `chromium-${result.adapter.description}` : 'chromium-cpu-only';
    const file = join(ROOT, 'bench/results', `browser-${slug(adapter)}.json`);
    const version = await browser.version();
    writeFileSync(
      file,
      `${JSON.stringify({ browser: version, date: new Date().toISOString(), ...result }, null, 1)}\n`,
    );
    console.log(`${version}, WebGPU adapter: ${result.adapter?.description ?? 'none'}\n`);
    console.log(result.tables.join('\n\n'));
    console.log(`\nwrote ${file}`);
  } finally {
    await browser.close();
    await site.close();
  }
}

await main();
