#!/usr/bin/env node
// Runs the TypeScript CLI through tsx when not built, or the compiled one from dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
let mod;
if (existsSync(built)) mod = await import(pathToFileURL(built).href);
else {
  const { tsImport } = await import('tsx/esm/api');
  mod = await tsImport(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href, import.meta.url);
}
const code = await mod.main(process.argv.slice(2));
// Dawn keeps the event loop alive while a device exists
process.exit(code);
