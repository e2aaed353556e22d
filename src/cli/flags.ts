// A small flag parser for the CLI: `--name value`, `--name=value`, repeatable flags, booleans.
import { UsageError } from './main.js';

export type FlagSpec = Record<string, 'string' | 'int' | 'float' | 'bool' | 'list'>;
export type Flags = Record<string, string | number | boolean | string[] | undefined> & { _: string[] };

export function parseFlags(args: string[], spec: FlagSpec): Flags {
  const out: Flags = { _: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown flag --${name}`);
    if (kind === 'bool') { out[name] = true; continue; }
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (kind === 'int' || kind === 'float') {
      const n = Number(value);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) throw new UsageError(`--${name} expects ${kind === 'int' ? 'an integer' : 'a number'}, got '${value}'`);
      out[name] = n;
    } else if (kind === 'list') out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}
