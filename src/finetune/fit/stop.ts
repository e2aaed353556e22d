// Requests to stop fit early: an AbortSignal, and Ctrl-C only when the caller asks for it
// (`handleSigint: true`, as the finetorch command does). A library must not own the process: by
// default fit installs no SIGINT listener, so Node's default (exit) or the application's own handler
// decides what Ctrl-C does. When asked, the first Ctrl-C lets the current step finish and the
// checkpoint be saved; a second one exits at once with 130 (128 + SIGINT), as a shell would.
export class StopRequests {
  requested = false;
  private readonly onSigint = () => {
    if (this.requested) process.exit(130);
    this.requested = true;
    this.say('interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
  };
  private readonly onAbort = () => { this.requested = true; };

  constructor(private readonly signal: AbortSignal | undefined, private readonly sigint: boolean, private readonly say: (line: string) => void) {
    if (sigint) process.on('SIGINT', this.onSigint);
    signal?.addEventListener('abort', this.onAbort);
    if (signal?.aborted) this.requested = true;
  }

  dispose(): void {
    if (this.sigint) process.off('SIGINT', this.onSigint);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
