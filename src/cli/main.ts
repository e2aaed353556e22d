// The `finetorch` command: one file per subcommand under ./commands, registered here.
export interface Command {
  summary: string;
  usage: string;
  /** returns the exit code; throw UsageError for bad flags (exit 2, one line) */
  run(args: string[]): Promise<number>;
}
export class UsageError extends Error {}

const commands: Record<string, () => Promise<Command>> = {
  forward: async () => (await import('./commands/forward.js')).command,
  predict: async () => (await import('./commands/predict.js')).command,
  inspect: async () => (await import('./commands/inspect.js')).command,
  convert: async () => (await import('./commands/convert.js')).command,
  finetune: async () => (await import('./commands/finetune.js')).command,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: finetorch <command> [options]\n\ncommands:');
    for (const [n, load] of Object.entries(commands)) console.log(`  ${n.padEnd(10)} ${(await load()).summary}`);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`finetorch: unknown command '${name}' (try: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  const cmd = await load();
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError) {
      console.error(`finetorch ${name}: ${err.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    // one clear line for anything the user can fix (bad file, incompatible weights)
    console.error(`finetorch ${name}: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}`);
    if (process.env.FINETORCH_DEBUG) console.error(err.stack);
    return 2;
  }
}
