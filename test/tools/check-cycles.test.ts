// tools/check-cycles.mjs: which imports carry a value (and so can form a cycle that breaks module
// evaluation), and src/ itself is free of such cycles.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs tool without type declarations
import { cycles, valueGraph } from '../../tools/check-cycles.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder of .ts files; returns the cycles found there, as sorted base names. */
function check(files: Record<string, string>): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return (cycles(valueGraph([dir])) as string[][]).map((scc) => scc.map((f) => f.slice(dir.length + 1)));
}

describe('check-cycles', () => {
  it('finds a value cycle through named, namespace, re-export and bare imports', () => {
    expect(
      check({
        'a.ts': "import { b } from './b.js';\nexport const a = 1;",
        'b.ts': "import { a } from './a.js';\nexport const b = a;",
      }),
    ).toEqual([['a.ts', 'b.ts']]);
    expect(
      check({ 'a.ts': "import * as B from './b.js';", 'b.ts': "export * from './c.js';", 'c.ts': "import './a.js';" }),
    ).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    // a multi-line specifier list, a default import beside type specifiers, a folder's index.ts
    expect(
      check({
        'a.ts': "import {\n  type T,\n  b,\n} from './b.js';",
        'b.ts': "import A, { type U } from './sub/index.js';",
        'sub/index.ts': "export { a } from '../a.js';",
      }),
    ).toEqual([['a.ts', 'b.ts', 'sub/index.ts']]);
    expect(check({ 'a.ts': "import { x } from './a.js';" })).toEqual([['a.ts']]);
  });

  it('ignores type-only imports and exports, and packages', () => {
    expect(
      check({
        'a.ts':
          "import type { B } from './b.js';\nimport { type C, type D } from './b.js';\nimport { x } from 'node:fs';",
        'b.ts': "import { a } from './a.js';\nexport type { A } from './a.js';",
      }),
    ).toEqual([]);
    // a declaration between an export and a later `from` is not an import
    expect(
      check({
        'a.ts': "export const s = 1;\nconst t = { from: 'x' };\nimport { b } from './b.js';",
        'b.ts': "export function f() {}\n// import { a } from './a.js'",
      }),
    ).toEqual([]);
  });

  it('finds no value-carrying cycle in src/', () => {
    expect(cycles(valueGraph(['src']))).toEqual([]);
  });
});
