// Python's formatting of the values that appear in PyTorch's module printout (`print(model)`), so
// `String(model)` matches it character for character: floats as Python's repr (1e-05, 0.1, 1.0),
// booleans as True/False, null as None, arrays as tuples ((3, 3), (5,)).

/** Python's repr of a float: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(x); // JS uses fixed notation in this range too
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** A Python value's str(): numbers as ints, booleans True/False, null None, arrays as tuples. */
export function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0])},)` : `(${v.map(py).join(', ')})`;
  return String(v);
}

/** Python's _addindent: indent every line but the first. */
export function addIndent(s: string, spaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(spaces);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join('\n');
}
