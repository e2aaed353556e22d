// JSON read from a file (the safetensors header), held to what the reference reader (serde_json)
// accepts: a key may appear only once per object — JSON.parse keeps the last silently, so two
// readers could see different tensors in one file — and nesting is bounded before JSON.parse sees
// the text, so a 100k-deep header is refused by a check rather than by whatever the parser does.
// Also the one way values from such JSON are quoted in error messages: shortly, never by
// JSON.stringify of a whole value (a deep value overflows the stack, a long one floods the message).
import { CheckpointError } from '../errors.js';

/** characters of a value an error message quotes */
export const QUOTE_CHARS = 100;

/** A short, safe description of a value from a file: strings and numbers quoted (cut), containers by size. */
export function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > QUOTE_CHARS ? `${v.slice(0, QUOTE_CHARS)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((x) => typeof x === 'number')) return `[${v.join(',')}]`.slice(0, QUOTE_CHARS);
    return `an array of ${v.length}`;
  }
  if (typeof v === 'object') return `an object with ${Object.keys(v).length} keys`;
  return typeof v;
}

/** one open object or array while scanning */
interface Frame {
  keys: Set<string> | null;
  expectKey: boolean;
  at: number;
}

/**
 * Check `text` (already known to be JSON, or about to be refused by JSON.parse) for nesting deeper
 * than `maxDepth` and for repeated keys. Iterative and linear; returns the first repeated key.
 */
function scan(text: string, what: string, maxDepth: number): { key: string; at: number } | null {
  const stack: Frame[] = [];
  let dup: { key: string; at: number } | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { [
      if (stack.length >= maxDepth)
        throw new CheckpointError(
          `${what} nests objects and arrays more than ${maxDepth} deep (at character ${i} of the header)`,
        );
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, at: i });
    } else if (c === 0x7d || c === 0x5d)
      stack.pop(); // } ]
    else if (c === 0x2c) {
      // ,
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === 0x22) {
      // a string: find its closing quote
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey && dup === null) {
        let key: string | null = text.slice(i + 1, j);
        // "a" and "\u0061" are the same key
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string;
          } catch {
            key = null;
          }
        }
        if (key !== null) {
          if (top.keys.has(key)) dup = { key, at: i };
          top.keys.add(key);
        }
        top.expectKey = false;
      }
      i = j;
    }
  }
  return dup;
}

/** JSON.parse of a file's JSON, refusing nesting past `maxDepth` and repeated keys, with typed errors. */
export function parseFileJson(text: string, what: string, maxDepth: number): unknown {
  const dup = scan(text, what, maxDepth);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${what} is not valid UTF-8 JSON: ${String((e as Error).message).slice(0, 200)}`);
  }
  if (dup)
    throw new CheckpointError(
      `${what} has the key ${preview(dup.key)} more than once (again at character ${dup.at} of the header); duplicate keys are refused, as by the reference reader`,
    );
  return v;
}
