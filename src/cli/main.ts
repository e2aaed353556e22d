// The `finetorch` command: one file per subcommand under ./commands, registered here. Every failure
// the user can act on ends in one line on stderr and exit code 2; `--verbose` (any command) adds
// the full multi-line message (e.g. every key of a state-dict mismatch), FINETORCH_DEBUG the stack.
import { UsageError, type Command } from './command.js';

const commands: Record<string, () => Promise<Command>> = {
  forward: async () => (await import('./commands/forward.js')).command,
  predict: async () => (await import('./commands/predict.js')).command,
  inspect: async () => (await import('./commands/inspect.js')).command,
  convert: async () => (await import('./commands/convert.js')).command,
  finetune: async () => (await import('./commands/finetune.js')).command,
  models: async () => (await import('./commands/models.js')).command,
};

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const few = (keys: readonly string[]) => keys.slice(0, 3).join(', ') + (keys.length > 3 ? ', ...' : '');

/** One line for an error whose message has several (a StateDictError lists every key, as PyTorch's does). */
export function oneLine(err: Error): string {
  const e = err as Error & { missingKeys?: string[]; unexpectedKeys?: string[]; errorMessages?: string[] };
  const first = err.message.split('\n')[0].replace(/:$/, '');
  if (
    err.name === 'StateDictError' &&
    Array.isArray(e.missingKeys) &&
    Array.isArray(e.unexpectedKeys) &&
    Array.isArray(e.errorMessages)
  ) {
    const parts: string[] = [];
    if (e.missingKeys.length) parts.push(`${plural(e.missingKeys.length, 'missing key')} (${few(e.missingKeys)})`);
    if (e.unexpectedKeys.length)
      parts.push(`${plural(e.unexpectedKeys.length, 'unexpected key')} (${few(e.unexpectedKeys)})`);
    const sizes = e.errorMessages.map((m) => /^size mismatch for (\S+):/.exec(m)?.[1]).filter((k): k is string => !!k);
    if (sizes.length) parts.push(`${sizes.length} size mismatch${sizes.length === 1 ? '' : 'es'} (${few(sizes)})`);
    const other = e.errorMessages.length - sizes.length;
    if (other) parts.push(plural(other, 'other error'));
    return `${first}: ${parts.join(', ')} (--verbose lists them all)`;
  }
  return err.message.includes('\n') ? `${first} (--verbose for the full message)` : err.message;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [name, ...rest] = argv.filter((a) => a !== '--verbose');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: finetorch <command> [options] [--verbose]\n\ncommands:');
    for (const [n, load] of Object.entries(commands)) console.log(`  ${n.padEnd(10)} ${(await load()).summary}`);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    console.error(`finetorch: unknown command '${name}' (try: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  const cmd = await load();
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err instanceof UsageError) {
      console.error(`finetorch ${name}: ${err.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    // one clear line for anything the user can fix (bad file, incompatible weights)
    const kind = err.name === 'Error' ? '' : `${err.name}: `;
    console.error(`finetorch ${name}: ${kind}${verbose ? err.message : oneLine(err)}`);
    if (process.env.FINETORCH_DEBUG) console.error(err.stack);
    return 2;
  }
}
