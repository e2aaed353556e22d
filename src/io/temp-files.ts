// Atomic writes go to `<path>.<pid>.tmp` beside the target and are renamed into place. A process
// killed mid-write leaves its temp file behind (a checkpoint's worth of bytes), so each write first
// removes the temp files of the same target whose writer is gone. A live writer's file is never
// touched: `process.kill(pid, 0)` throws ESRCH only when no such process exists (EPERM means it
// exists under another user).
// Node only (process ids, a directory listing): platform/node.ts and the weights hub use it.
import { nodeOnly } from '../platform/node-host.js';

const host = () => nodeOnly('atomic file writes');

export const tempPathFor = (path: string, pid = process.pid): string => `${path}.${pid}.tmp`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Remove `<path>.<pid>.tmp` files left by dead processes; returns the paths removed. Never throws. */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = host().path.dirname(path),
    base = host().path.basename(path);
  let names: string[];
  try {
    names = await host().fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(base.length + 1, -4);
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || alive(Number(pid))) continue;
    const p = host().path.join(dir, name);
    await host()
      .fsp.unlink(p)
      .then(
        () => removed.push(p),
        () => undefined,
      );
  }
  return removed;
}
