// Character ranges in freeze/unfreeze patterns as Python 3.11's fnmatch reads them: an out-of-order
// range (`[z-a]`) is empty, not an error. A JavaScript RegExp refuses such a class with a SyntaxError,
// which reached `finetorch finetune --freeze '[z-a]'` users untyped.
import { describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const ft = torch.finetune;
const names = ['a', 'b', 'c', 'x', '-', 'z', '!', '\\', 'bx', 'fc.weight', 'fc.bias', 'layer1', 'layer4', ']', '^'];
// the names fnmatch.fnmatchcase(name, pattern) accepts, from /usr/bin/python3 (3.11)
const python: [string, string[]][] = [
  ['[z-a]', []],
  ['[!z-a]', ['a', 'b', 'c', 'x', '-', 'z', '!', '\\', ']', '^']],
  ['[a-cz-a]x', ['bx']],
  ['[b-a-c]', ['c', '-']],
  ['[--a]', ['a', '-', '\\', ']', '^']],
  ['[a-]', ['a', '-']],
  ['[!]', []],
  ['[a-\\]', []],
  ['fc.[w-b]*', []],
  ['layer[4-1]', []],
  ['[]-a]', ['a', ']', '^']],
  ['[!a-c-z]', ['x', '!', '\\', ']', '^']],
  ['[]a]', ['a', ']']], // a leading ']' is a member, in JavaScript too
  ['[!]a]', ['b', 'c', 'x', '-', 'z', '!', '\\', '^']],
];

describe('fnmatch character ranges', () => {
  it.each(python)('%s matches what Python matches', (pattern, want) => {
    expect(names.filter((n) => ft.fnmatch(n, pattern))).toEqual(want);
  });
  it('an empty range selects nothing: the usual ArgumentError naming the pattern', () => {
    const model = new torch.nn.Linear(2, 2);
    expect(() => ft.freeze(model, '[z-a]')).toThrow(torch.ArgumentError);
    expect(() => ft.freeze(model, '[z-a]')).toThrow(/^freeze: pattern '\[z-a\]' matches no parameter/);
  });
});
