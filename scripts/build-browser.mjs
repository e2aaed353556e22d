// Builds the browser library: src/browser.ts bundled into one ESM file, dist/browser/finetorch.js
// (+ .map), which a page imports as a module and a module Web Worker imports the same way
// (`new Worker(url, { type: 'module' })`). Prints its minified and gzip sizes and fails when:
//   - the gzip size is over the budget (150 KB = 150,000 bytes, the library without any page), or
//   - anything Node-only got in: a `node:` import, or the webgpu, pngjs, jpeg-js or mnist packages
//     (esbuild cannot resolve `node:` for the browser, so that shows up as a build error).
// Usage: node scripts/build-browser.mjs [--outdir DIR] [--entry FILE] [--json]
//   --json prints one JSON line of the results (the test reads it); --entry builds another entry
//   through the same checks (the test shows that Node's entry is refused).
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const GZIP_BUDGET = 150_000;
const NODE_ONLY_PACKAGES = ['webgpu', 'pngjs', 'jpeg-js', 'mnist'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const outdir = arg('--outdir', join(root, 'dist', 'browser'));
const entry = arg('--entry', join(root, 'src', 'browser.ts'));
const json = process.argv.includes('--json');
const file = join(outdir, 'finetorch.js');
const problems = [];
let result = null;

try {
  result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'eof',
    logLevel: 'silent',
  });
} catch (e) {
  for (const err of e.errors ?? [{ text: e.message }]) {
    problems.push(`${err.location ? `${err.location.file}:${err.location.line}: ` : ''}${err.text}`);
  }
}

let bytes = 0,
  gzipBytes = 0;
const inputs = [];
if (result) {
  for (const [path, info] of Object.entries(result.metafile.inputs)) {
    inputs.push(path);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
    if (pkg && NODE_ONLY_PACKAGES.includes(pkg))
      problems.push(`${path}: the Node-only package '${pkg}' is in the bundle`);
    for (const imp of info.imports) {
      if (imp.path.startsWith('node:')) problems.push(`${path} imports '${imp.path}'`);
    }
  }
  const code = readFileSync(file);
  bytes = code.length;
  gzipBytes = gzipSync(code, { level: 9 }).length;
  // an import left unbundled (external) would still name its module in the output
  const left = [
    ...code
      .toString('utf8')
      .matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](node:[^"']+|webgpu|pngjs|jpeg-js|mnist)["']/g),
  ].map((m) => m[1]);
  for (const spec of new Set(left)) problems.push(`the bundle imports '${spec}'`);
  if (gzipBytes > GZIP_BUDGET) problems.push(`${gzipBytes} bytes gzipped is over the budget of ${GZIP_BUDGET}`);
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
if (json) {
  mkdirSync(outdir, { recursive: true });
  console.log(JSON.stringify({ file, bytes, gzipBytes, budget: GZIP_BUDGET, inputs, problems }));
} else {
  if (result)
    console.log(`${relative(root, file)}: ${kb(bytes)} minified, ${kb(gzipBytes)} gzip (budget ${kb(GZIP_BUDGET)})`);
  for (const p of problems) console.error(`build-browser: ${p}`);
}
if (problems.length) process.exitCode = 1;
