// Requests to stop fit early: an AbortSignal, and Ctrl-C only when the caller asks for it
// (`handleSigint: true`, as the finetorch command does). A library must not own the process: by
// default fit installs no SIGINT listener, so Node's default (exit) or the application's own handler
// decides what Ctrl-C does. When asked, the first Ctrl-C lets the current step finish and the
// checkpoint be saved; a second one exits at once with 130 (128 + SIGINT), as a shell would.
// Ctrl-C is the platform's (Node's SIGINT; a browser has none: stop a worker's fit with a signal).
import { platform } from '../../platform/platform.js';

export class StopRequests {
  requested = false;
  private readonly onSigint = () => {
    if (this.requested) platform().exit(130);
    this.requested = true;
    this.say('interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
  };
  private readonly onAbort = () => {
    this.requested = true;
  };
  private offSigint: (() => void) | null = null;

  constructor(
    private readonly signal: AbortSignal | undefined,
    sigint: boolean,
    private readonly say: (line: string) => void,
  ) {
    if (sigint) this.offSigint = platform().onInterrupt(this.onSigint);
    signal?.addEventListener('abort', this.onAbort);
    if (signal?.aborted) this.requested = true;
  }

  dispose(): void {
    this.offSigint?.();
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
