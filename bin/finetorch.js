#!/usr/bin/env node
// The installed `finetorch` command runs the compiled CLI from dist/ (built by `npm run build`, which
// `npm install` in a clone and `npm pack` run for you).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/bin.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('finetorch: dist/ is missing: run `npm run build` in the finetorch folder first');
  process.exit(2);
}
await import(entry.href);
