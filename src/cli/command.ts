// What a subcommand is, and the error that means "the user typed it wrong". Its own module so that
// cli/main (which registers the commands) and the commands (which throw UsageError) import this
// file instead of each other.

export interface Command {
  summary: string;
  usage: string;
  /** returns the exit code; throw UsageError for bad flags (exit 2, the message and the usage line) */
  run(args: string[]): Promise<number>;
}

/** Bad flags or arguments: main prints the message, then the command's usage line, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
