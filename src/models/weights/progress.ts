// A download's progress on stderr, torch.hub-style (`name  45%  20.1/44.7 MB`), redrawn in place at
// most ten times a second. Off unless asked for (the caller asks when stderr is a terminal), so
// tests and pipes see nothing.

export interface Progress {
  update(received: number): void;
  done(): void;
}

const MB = (n: number) => (n / 1e6).toFixed(1);

export function progressBar(
  name: string,
  total: number,
  enabled: boolean,
  out: { write(s: string): unknown } = process.stderr,
): Progress {
  if (!enabled) return { update() {}, done() {} };
  let last = 0,
    shown = -1,
    finished = false;
  const draw = (received: number) => {
    const pct = total
      ? `${Math.floor((100 * received) / total)
          .toString()
          .padStart(3)}%  `
      : '';
    const width = 30,
      fill = total ? Math.round((width * received) / total) : 0;
    const bar = total ? `[${'#'.repeat(fill)}${' '.repeat(width - fill)}]  ` : '';
    out.write(`\rdownloading ${name}  ${bar}${pct}${MB(received)}${total ? `/${MB(total)}` : ''} MB`);
    shown = received;
  };
  return {
    update(received) {
      const now = Date.now();
      if (now - last >= 100 || received === total) {
        last = now;
        draw(received);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (shown >= 0) out.write('\n');
    },
  };
}
