// finetorch as the benchmark sees it: the public API (`import * as torch`), loaded once.
export type Torch = typeof import('../../src/index.js');
let mod: Promise<Torch> | null = null;
export function finetorch(): Promise<Torch> {
  mod ??= import('../../src/index.js');
  return mod;
}

/** The names in `names` (dotted paths into the torch module) that do not exist yet. */
export function missing(torch: Torch, names: string[]): string[] {
  return names.filter((path) => {
    let x: unknown = torch;
    for (const part of path.split('.')) x = (x !== null && typeof x === 'object') || typeof x === 'function' ? (x as Record<string, unknown>)[part] : undefined;
    return typeof x !== 'function';
  });
}
