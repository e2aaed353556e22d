// A small flag parser for the CLI: `--name value`, `--name=value`, repeatable list flags, booleans.
// Flag names are looked up as own properties of the spec, and the result has no prototype, so
// `--toString`, `--constructor` or `--__proto__` are unknown flags like any other typo instead of
// reaching Object.prototype.
import { UsageError } from './command.js';

export type FlagKind = 'string' | 'int' | 'float' | 'bool' | 'list';
export type FlagSpec = Record<string, FlagKind>;
export type Flags = Record<string, string | number | boolean | string[] | undefined> & { _: string[] };

export function parseFlags(args: string[], spec: FlagSpec): Flags {
  const out = Object.create(null) as Flags;
  out._ = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw new UsageError(`unknown flag --${name}`);
    if (kind === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got '${a.slice(eq + 1)}'`);
      out[name] = true;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (kind === 'int' || kind === 'float') {
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n)))
        throw new UsageError(`--${name} expects ${kind === 'int' ? 'an integer' : 'a number'}, got '${value}'`);
      out[name] = n;
    } else if (kind === 'list') out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}
