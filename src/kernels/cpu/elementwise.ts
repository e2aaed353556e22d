// The cpu elementwise loops, compiled once per op from the formulas of ../ops-table.ts with the
// formula inlined into the loop: a closure called per element costs ~25 ns on V8 (megamorphic across
// ops), an inlined formula ~1 ns. Dense operands take a loop over the arrays; strided ones a loop over
// reader closures (strided.ts), still with the op inlined. Both loops evaluate the same expression,
// so the two paths agree bit for bit.
import { BINARY, UNARY, type BinaryOp, type UnaryOp } from '../ops-table.js';
import { erf } from './math.js';

type Arr = Float32Array | Int32Array;
type Read = (i: number) => number;
type UnaryDense = (x: Arr, xo: number, out: Arr, n: number, p0: number, p1: number) => void;
type UnaryStrided = (x: Read, out: Arr, n: number, p0: number, p1: number) => void;
type BinaryDense = (a: Arr, ao: number, b: Arr, bo: number, out: Arr, n: number) => void;
type BinaryStrided = (a: Read, b: Read, out: Arr, n: number) => void;

/** `body` compiled with the scalar helpers the formulas may call in scope */
const compile = <F>(params: string[], body: string): F =>
  new Function('erf', `return (${params.join(', ')}) => { ${body} };`)(erf) as F;

const unaryLoops = new Map<UnaryOp, { dense: UnaryDense; strided: UnaryStrided }>();
const binaryLoops = new Map<string, { dense: BinaryDense; strided: BinaryStrided }>();

function unaryLoop(op: UnaryOp) {
  let f = unaryLoops.get(op);
  if (!f) {
    const e = UNARY[op].cpu;
    f = {
      dense: compile(
        ['X', 'xo', 'O', 'n', 'p0', 'p1'],
        `for (let i = 0; i < n; i++) { const a = X[xo + i]; O[i] = (${e}); }`,
      ),
      strided: compile(['rx', 'O', 'n', 'p0', 'p1'], `for (let i = 0; i < n; i++) { const a = rx(i); O[i] = (${e}); }`),
    };
    unaryLoops.set(op, f);
  }
  return f;
}
/** integer division truncates (both operands int32 or bool) */
function binaryLoop(op: BinaryOp, intDiv: boolean) {
  const key = intDiv && op === 'div' ? 'div_int' : op;
  let f = binaryLoops.get(key);
  if (!f) {
    const e = key === 'div_int' ? `Math.trunc(${BINARY.div.cpu})` : BINARY[op].cpu;
    f = {
      dense: compile(
        ['A', 'ao', 'B', 'bo', 'O', 'n'],
        `for (let i = 0; i < n; i++) { const a = A[ao + i], b = B[bo + i]; O[i] = (${e}); }`,
      ),
      strided: compile(
        ['ra', 'rb', 'O', 'n'],
        `for (let i = 0; i < n; i++) { const a = ra(i), b = rb(i); O[i] = (${e}); }`,
      ),
    };
    binaryLoops.set(key, f);
  }
  return f;
}

/** out[i] = op(x[xo + i]) for i < n */
export function unaryDense(op: UnaryOp, x: Arr, xo: number, out: Arr, n: number, p0: number, p1: number): void {
  unaryLoop(op).dense(x, xo, out, n, p0, p1);
}
/** out[i] = op(x(i)) for i < n */
export function unaryStrided(op: UnaryOp, x: Read, out: Arr, n: number, p0: number, p1: number): void {
  unaryLoop(op).strided(x, out, n, p0, p1);
}
/** out[i] = op(a[ao + i], b[bo + i]) for i < n */
export function binaryDense(
  op: BinaryOp,
  intDiv: boolean,
  a: Arr,
  ao: number,
  b: Arr,
  bo: number,
  out: Arr,
  n: number,
): void {
  binaryLoop(op, intDiv).dense(a, ao, b, bo, out, n);
}
/** out[i] = op(a(i), b(i)) for i < n */
export function binaryStrided(op: BinaryOp, intDiv: boolean, a: Read, b: Read, out: Arr, n: number): void {
  binaryLoop(op, intDiv).strided(a, b, out, n);
}
