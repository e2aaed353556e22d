// The CLI's flag parser: the documented surface (--name value, --name=value, repeatable lists,
// booleans, number checks), and Object.prototype names treated as the unknown flags they are
// (`--toString x` was accepted, `--constructor` swallowed the next argument).
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { parseFlags, type FlagSpec } from '../../src/cli/flags.js';
import { main } from '../../src/cli/main.js';

const spec: FlagSpec = { model: 'string', epochs: 'int', lr: 'float', freeze: 'list', resume: 'bool' };

describe('parseFlags', () => {
  it('--name value, --name=value, repeatable lists, booleans, positionals', () => {
    const f = parseFlags(
      [
        'a.pth',
        '--model',
        'resnet18',
        '--epochs=3',
        '--lr',
        '1e-3',
        '--freeze',
        'conv*',
        '--freeze=bn1',
        '--resume',
        'b',
      ],
      spec,
    );
    expect({ ...f }).toEqual({
      _: ['a.pth', 'b'],
      model: 'resnet18',
      epochs: 3,
      lr: 0.001,
      freeze: ['conv*', 'bn1'],
      resume: true,
    });
  });
  it('the same messages for bad values', () => {
    expect(() => parseFlags(['--epochs', '2.5'], spec)).toThrow(/^--epochs expects an integer, got '2\.5'$/);
    expect(() => parseFlags(['--lr', 'fast'], spec)).toThrow(/^--lr expects a number, got 'fast'$/);
    expect(() => parseFlags(['--lr='], spec)).toThrow(/^--lr expects a number, got ''$/);
    expect(() => parseFlags(['--model'], spec)).toThrow(/^--model needs a value$/);
    expect(() => parseFlags(['--model', '--resume'], spec)).toThrow(/^--model needs a value$/);
    expect(() => parseFlags(['--resume=no'], spec)).toThrow(/^--resume takes no value, got 'no'$/);
  });
  it.each(['toString', 'hasOwnProperty', 'constructor', '__proto__', 'valueOf', 'isPrototypeOf'])(
    '--%s is an unknown flag',
    (name) => {
      for (const args of [[`--${name}`, 'x'], [`--${name}=1`], [`--${name}`]]) {
        expect(() => parseFlags(args, spec)).toThrow(UsageError);
        expect(() => parseFlags(args, spec)).toThrow(new RegExp(`^unknown flag --${name}$`));
      }
    },
  );
  it('the result has no inherited names', () => {
    const f = parseFlags([], spec);
    expect(f.toString).toBeUndefined();
    expect(f.constructor).toBeUndefined();
    expect(f._).toEqual([]);
  });
});

describe('finetorch with prototype names', () => {
  const run = async (argv: string[]) => {
    const err: string[] = [];
    const e = vi.spyOn(console, 'error').mockImplementation((...a) => {
      err.push(a.join(' '));
    });
    try {
      return { code: await main(argv), err: err.join('\n') };
    } finally {
      e.mockRestore();
    }
  };
  it('as flags: one line, the usage, exit 2', async () => {
    const r = await run(['inspect', '--constructor', 'file.pth']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('finetorch inspect: unknown flag --constructor\nusage: finetorch inspect FILE [--json]');
  });
  it('as commands: unknown command, exit 2', async () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      const r = await run([name]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(
          `^finetorch: unknown command '${name}' \\(try: forward, predict, inspect, convert, finetune, models\\)$`,
        ),
      );
    }
  });
});
