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
        re += bracket(pattern, i + 1, j);
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  const out = new RegExp(`^(?:${re})$`, 's');
  cache.set(pattern, out);
  return out;
}

/**
 * The character class for `pattern[start, end)` (the text between '[' and ']'), as Python 3.11's
 * fnmatch.translate builds it: ranges whose ends are out of order (`z-a`) are empty and dropped —
 * a JavaScript RegExp would refuse them with a SyntaxError — so `[z-a]` matches nothing, `[!z-a]`
 * any one character; backslashes and non-range hyphens are literal.
 */
function bracket(pattern: string, start: number, end: number): string {
  let stuff: string;
  // a ']' member (first in the set) is literal in Python's re but closes a JavaScript class: escaped
  const esc = (x: string) => x.replace(/[\\\]]/g, '\\$&');
  if (!pattern.slice(start, end).includes('-')) stuff = esc(pattern.slice(start, end));
  else {
    const chunks: string[] = [];
    let i = start;
    let k = pattern[start] === '!' ? start + 2 : start + 1;
    for (;;) {
      k = pattern.indexOf('-', k);
      if (k < 0 || k >= end) break;
      chunks.push(pattern.slice(i, k));
      i = k + 1;
      k += 3;
    }
    const last = pattern.slice(i, end);
    if (last) chunks.push(last);
    else chunks[chunks.length - 1] += '-';
    for (let c = chunks.length - 1; c > 0; c--) {
      if (chunks[c - 1][chunks[c - 1].length - 1] > chunks[c][0]) {
        chunks[c - 1] = chunks[c - 1].slice(0, -1) + chunks[c].slice(1);
        chunks.splice(c, 1);
      }
    }
    stuff = chunks.map((x) => esc(x).replace(/-/g, '\\-')).join('-');
  }
  if (!stuff) return '(?!)'; // an empty set never matches
  if (stuff === '!') return '.'; // a negated empty set matches any character
  if (stuff[0] === '!') stuff = `^${stuff.slice(1)}`;
  else if (stuff[0] === '^' || stuff[0] === '[') stuff = `\\${stuff}`;
  return `[${stuff}]`;
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
  if (list.length === 0)
    throw new ArgumentError(
      `${what}: an empty list of patterns selects nothing (omit the argument to mean every parameter)`,
    );
  for (const x of list) {
    if (typeof x !== 'string' || x === '')
      throw new ArgumentError(`${what}: patterns must be non-empty strings, got ${JSON.stringify(x)}`);
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
    if (hits.length === 0)
      throw new ArgumentError(`${what}: pattern '${pat}' matches no parameter (${describeNames(names)})`);
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
