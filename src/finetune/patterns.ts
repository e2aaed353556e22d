// Name patterns for choosing parameters: Python's `fnmatch.fnmatchcase` globs on dotted names.
// `*` matches any run of characters INCLUDING dots (so `'*.bn*'` matches `layer1.0.bn1.weight` and
// `'layer4.**'` is the same as `'layer4.*'`), `?` one character, `[seq]` / `[!seq]` a character set.
// A pattern also selects everything under a module it names: `'fc'` or `'layer4'` (or `'*.bn1'`)
// matches `fc.weight`, `layer4.0.conv1.weight`, `layer1.0.bn1.bias` — a parameter is selected when
// the pattern matches its full name or the dotted path of any module above it.
import { ArgumentError } from '../errors.js';

const cache = new Map<string, RegExp>();

/** The regular expression Python's fnmatch.translate builds for `pattern` (anchored, case-sensitive). */
export function globToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      re += '.*';
      while (pattern[i + 1] === '*') i++; // consecutive stars are one star, as in fnmatch
    } else if (c === '?') re += '.';
    else if (c === '[') {
      // find the closing bracket; a ']' right after '[' or '[!' is a literal member
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) re += '\\[';
      else {
        let body = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
        i = j;
        if (body[0] === '!') body = `^${body.slice(1)}`;
        else if (body[0] === '^') body = `\\${body}`;
        re += `[${body}]`;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  const out = new RegExp(`^(?:${re})$`, 's');
  cache.set(pattern, out);
  return out;
}

/** `fnmatch.fnmatchcase(name, pattern)`. */
export function fnmatch(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}

/** True when `pattern` matches `name` itself or the dotted path of a module above it. */
export function selects(pattern: string, name: string): boolean {
  const re = globToRegExp(pattern);
  if (re.test(name)) return true;
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
    if (re.test(name.slice(0, i))) return true;
  }
  return false;
}

export type Patterns = string | readonly string[];

export function asPatterns(p: Patterns, what: string): string[] {
  const list = typeof p === 'string' ? [p] : [...p];
  if (list.length === 0) throw new ArgumentError(`${what}: an empty list of patterns selects nothing (omit the argument to mean every parameter)`);
  for (const x of list) {
    if (typeof x !== 'string' || x === '') throw new ArgumentError(`${what}: patterns must be non-empty strings, got ${JSON.stringify(x)}`);
  }
  return list;
}

/**
 * The names selected by any of `patterns`, in `names` order. A pattern that selects nothing is an
 * error naming it and the top-level names that exist (a typo must not silently freeze nothing).
 */
export function selectNames(names: readonly string[], patterns: Patterns, what: string): string[] {
  const list = asPatterns(patterns, what);
  const picked = new Set<string>();
  for (const pat of list) {
    const hits = names.filter((n) => selects(pat, n));
    if (hits.length === 0) throw new ArgumentError(`${what}: pattern '${pat}' matches no parameter (${describeNames(names)})`);
    for (const h of hits) picked.add(h);
  }
  return names.filter((n) => picked.has(n));
}

/** A short hint of what names exist: the distinct top-level prefixes. */
export function describeNames(names: readonly string[]): string {
  if (names.length === 0) return 'the model has no parameters';
  const tops = [...new Set(names.map((n) => n.split('.')[0]))];
  const shown = tops.slice(0, 12).join(', ');
  return `top-level names: ${shown}${tops.length > 12 ? `, ... (${tops.length} in all)` : ''}`;
}
