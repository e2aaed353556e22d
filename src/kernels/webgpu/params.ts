// Kernel parameters by name. Every dispatch gets a 64-word slot of the runtime's parameter buffer,
// bound last as `P: array<u32>` (runtime.ts). A kernel declares its slot's layout once with
// `paramBlock`; the WGSL that reads it (`let m = P[0];`) and the host code that fills it
// (`block.write(u, f, i, { m, ... })`, inside runtime.dispatch's writeParams callback) both come from
// that declaration, so a launcher and its shader can no longer disagree about word 7, and the type
// checker rejects a missing or misspelled field.

// runtime.ts's PARAM_WORDS, repeated: runtime.ts imports kernel modules (error-flag.ts), so importing
// it here would make a cycle evaluated before the constant exists (a test checks that they agree)
export const SLOT_WORDS = 64;

/** How a word is read in WGSL: `u32` as is, `i32`/`f32` by bitcast, `bool` as `!= 0u` (written 0/1). */
export type ParamType = 'u32' | 'i32' | 'f32' | 'bool';
/** A scalar field, or a fixed-size array of them (`['u32', 8]`: 8 consecutive words). */
export type ParamField = ParamType | readonly [ParamType, number];
export type ParamSpec = Record<string, ParamField>;

type FieldValue<F> = F extends readonly [ParamType, number] ? ArrayLike<number> : F extends 'bool' ? boolean : number;
/** The values `write` takes: every field, by name (arrays may be shorter than declared; the rest stays
 *  0, as runtime.dispatch zeroes the slot before writeParams). */
export type ParamValues<S extends ParamSpec> = { [K in keyof S]: FieldValue<S[K]> };
type ScalarNames<S extends ParamSpec> = { [K in keyof S]: S[K] extends ParamType ? K : never }[keyof S] & string;
type ArrayNames<S extends ParamSpec> = Exclude<keyof S & string, ScalarNames<S>>;

/** The binding of the parameter slot (the last binding of every kernel). */
export const paramBinding = (binding: number) => `@group(0) @binding(${binding}) var<storage, read> P: array<u32>;`;

const read = (type: ParamType, word: string) =>
  type === 'u32' ? word : type === 'bool' ? `(${word} != 0u)` : `bitcast<${type}>(${word})`;

interface Layout {
  name: string;
  type: ParamType;
  offset: number;
  length: number;
  array: boolean;
}

export class ParamBlock<S extends ParamSpec> {
  /** words used (at most the slot's 64) */
  readonly words: number;
  private readonly fields: Layout[];
  private readonly byName = new Map<string, Layout>();

  constructor(spec: S) {
    let offset = 0;
    this.fields = Object.entries(spec).map(([name, f]) => {
      const [type, length] = typeof f === 'string' ? [f, 1] : f;
      const l = { name, type, offset, length, array: typeof f !== 'string' };
      offset += length;
      this.byName.set(name, l);
      return l;
    });
    this.words = offset;
    if (offset > SLOT_WORDS)
      throw new Error(`paramBlock: ${offset} words, over the ${SLOT_WORDS} of a dispatch's slot`);
  }

  private field(name: string, array: boolean): Layout {
    const l = this.byName.get(name);
    if (!l) throw new Error(`paramBlock: no field '${name}'`);
    if (l.array !== array)
      throw new Error(`paramBlock: '${name}' is ${l.array ? 'an array (use at)' : 'a scalar (use ref)'}`);
    return l;
  }

  /** The word index of a field (of an array field's first element). */
  offset(name: keyof S & string): number {
    const l = this.byName.get(name);
    if (!l) throw new Error(`paramBlock: no field '${name}'`);
    return l.offset;
  }

  /**
   * WGSL reading a scalar field, typed (`bitcast<f32>(P[6])`): for helper functions outside `main`,
   * where the preamble's lets are not in scope.
   */
  ref(name: ScalarNames<S>): string {
    const l = this.field(name, false);
    return read(l.type, `P[${l.offset}]`);
  }

  /** WGSL reading element `index` of an array field: a number gives a constant word, a string is a
   *  u32 WGSL expression. */
  at(name: ArrayNames<S>, index: number | string): string {
    const l = this.field(name, true);
    if (typeof index === 'number') {
      if (index < 0 || index >= l.length)
        throw new Error(`paramBlock: ${name}[${index}] outside its ${l.length} words`);
      return read(l.type, `P[${l.offset + index}]`);
    }
    return read(l.type, `P[${l.offset}u + ${index}]`);
  }

  /** `let name = P[k];` for every scalar field, or for `names` only (in that order), on one line each. */
  preamble(names?: readonly ScalarNames<S>[], indent = '  '): string {
    const ls = names ? names.map((n) => this.field(n, false)) : this.fields.filter((l) => !l.array);
    return ls.map((l) => `let ${l.name} = ${read(l.type, `P[${l.offset}]`)};`).join(`\n${indent}`);
  }

  /** Fill a dispatch's slot (the views runtime.dispatch hands to writeParams). */
  write(u: Uint32Array, f: Float32Array, i: Int32Array, values: ParamValues<S>): void {
    const v = values as Record<string, number | boolean | ArrayLike<number>>;
    for (const l of this.fields) {
      const x = v[l.name];
      if (x === undefined) throw new Error(`paramBlock: no value for '${l.name}'`);
      if (!l.array) {
        put(u, f, i, l.type, l.offset, x as number | boolean);
        continue;
      }
      const a = x as ArrayLike<number>;
      if (a.length > l.length)
        throw new Error(`paramBlock: ${a.length} values for '${l.name}', which holds ${l.length}`);
      for (let k = 0; k < a.length; k++) put(u, f, i, l.type, l.offset + k, a[k]);
    }
  }
}

function put(u: Uint32Array, f: Float32Array, i: Int32Array, type: ParamType, at: number, x: number | boolean) {
  if (type === 'f32') f[at] = x as number;
  else if (type === 'i32') i[at] = x as number;
  else u[at] = type === 'bool' ? (x ? 1 : 0) : (x as number);
}

/** Declare a kernel's parameter slot: `paramBlock({ total: 'u32', top: 'i32', eps: 'f32', shape: ['u32', 8] })`. */
export const paramBlock = <const S extends ParamSpec>(spec: S) => new ParamBlock(spec);
