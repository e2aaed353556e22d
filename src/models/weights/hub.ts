// torch.hub's checkpoint cache and download, for pretrained weights. The cache is torch.hub's own
// directory ($TORCH_HOME/hub/checkpoints, TORCH_HOME defaulting to $XDG_CACHE_HOME/torch, then
// ~/.cache/torch) and the file names are torchvision's, so weights a user ever downloaded with
// torchvision load here as they are, and weights downloaded here serve torchvision too.
// A download streams into `<file>.<pid>.tmp` beside the target while hashing it, is checked against the
// sha256 prefix (torch.hub's check_hash), and is renamed into place only then: a refused, interrupted or
// failed transfer leaves nothing in the cache.
import { platform } from '../../platform/platform.js';
import { CheckpointError, keepErrorNames } from '../../errors.js';
import { nodeOnly } from '../../platform/node-host.js';
import { removeStaleTemps, tempPathFor } from '../../io/temp-files.js';
import { progressBar } from './progress.js';

/** torch.hub's HASH_REGEX: the hex run between the last '-' and the '.' of a torchvision file name */
export const HASH_REGEX = /-([a-f0-9]*)\./;

export type UnavailableReason = 'offline' | 'not-cached' | 'network' | 'http' | 'hash';

/**
 * Pretrained weights that are not on this machine and could not be fetched: offline, not yet
 * downloaded (the synchronous builders never download), a network or HTTP failure, or a download
 * whose sha256 does not match its name. Names the file, the URL and where to put the file by hand.
 */
export class WeightsUnavailableError extends CheckpointError {
  constructor(
    message: string,
    readonly file: string,
    readonly path: string,
    readonly url: string,
    readonly reason: UnavailableReason,
  ) {
    super(message);
  }
}
keepErrorNames({ WeightsUnavailableError });

// torch.hub's cache is a directory on disk: Node only (a browser loads weights with torch.load(url))
const host = () => nodeOnly("torch.hub's checkpoint cache (pretrained weights)");
const env = (name: string) => platform().env(name);
const expandUser = (p: string) =>
  p === '~' || p.startsWith('~/') ? host().path.join(host().os.homedir(), p.slice(1)) : p;

/** torch.hub.get_dir(): $TORCH_HOME/hub, TORCH_HOME defaulting to $XDG_CACHE_HOME/torch, then ~/.cache/torch. */
export function hubDir(): string {
  return host().path.join(
    expandUser(env('TORCH_HOME') || host().path.join(env('XDG_CACHE_HOME') || '~/.cache', 'torch')),
    'hub',
  );
}

/** Where torch.hub (and torchvision) keep downloaded checkpoints. */
export const checkpointsDir = (): string => host().path.join(hubDir(), 'checkpoints');

/** FINETORCH_OFFLINE=1 (or true/yes): never touch the network. */
export const offline = (): boolean => /^(1|true|yes|on)$/i.test(env('FINETORCH_OFFLINE') ?? '');

/** The download location: `baseUrl` + file, the base from the option, FINETORCH_WEIGHTS_URL, or `fallback`. */
export function urlFor(file: string, fallback: string, baseUrl?: string): string {
  const base = baseUrl ?? env('FINETORCH_WEIGHTS_URL') ?? fallback;
  return `${base.endsWith('/') ? base : `${base}/`}${file}`;
}

/** The first of `names` present in the checkpoints directory, or null. */
export function findCached(names: readonly string[]): string | null {
  const dir = checkpointsDir();
  for (const n of names) {
    const p = host().path.join(dir, n);
    if (host().fs.existsSync(p)) return p;
  }
  return null;
}

export interface DownloadOptions {
  /** a progress bar on stderr; default: only when stderr is a terminal */
  progress?: boolean;
  /** replaces https://download.pytorch.org/models/ (tests, mirrors); FINETORCH_WEIGHTS_URL does the same */
  baseUrl?: string;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * torch.hub.download_url_to_file: `url` into `dst`, verified against `sha256Prefix` (when given) before
 * it appears under its name. Concurrent calls for the same target share one transfer.
 */
export function downloadUrlToFile(
  url: string,
  dst: string,
  sha256Prefix: string | null,
  opts: DownloadOptions = {},
): Promise<string> {
  let p = inFlight.get(dst);
  if (!p) {
    p = transfer(url, dst, sha256Prefix, opts).finally(() => inFlight.delete(dst));
    inFlight.set(dst, p);
  }
  return p;
}

async function transfer(url: string, dst: string, sha256Prefix: string | null, opts: DownloadOptions): Promise<string> {
  const file = dst.slice(dst.lastIndexOf('/') + 1);
  const fail = (why: string, reason: UnavailableReason) =>
    new WeightsUnavailableError(
      `could not download ${file} from ${url}: ${why}; download it yourself and put it at ${dst}`,
      file,
      dst,
      url,
      reason,
    );
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw fail(networkWhy(e), 'network');
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, 'http');
  }
  const total = Number(res.headers.get('content-length')) || 0;
  host().fs.mkdirSync(host().path.join(dst, '..'), { recursive: true });
  await removeStaleTemps(dst);
  const tmp = tempPathFor(dst);
  const fh = await host().fsp.open(tmp, 'w');
  const hash = host().crypto.createHash('sha256');
  const bar = progressBar(file, total, opts.progress ?? !!process.stderr.isTTY);
  let received = 0;
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        for (let done = 0; done < chunk.length; )
          done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
        received += chunk.length;
        bar.update(received);
      }
    } catch (e) {
      throw fail(`the transfer broke off after ${received} of ${total || '?'} bytes (${networkWhy(e)})`, 'network');
    }
    if (total && received !== total) throw fail(`the transfer ended after ${received} of ${total} bytes`, 'network');
    await fh.close();
    const digest = hash.digest('hex');
    if (sha256Prefix && !digest.startsWith(sha256Prefix)) {
      throw fail(`invalid hash value (expected "${sha256Prefix}", got "${digest}"); the file was not kept`, 'hash');
    }
    await host().fsp.rename(tmp, dst);
    bar.done();
    return dst;
  } catch (e) {
    bar.done();
    await fh.close().catch(() => undefined);
    await host()
      .fsp.unlink(tmp)
      .catch(() => undefined);
    throw e;
  }
}

/** undici hides the cause (ECONNREFUSED, ENOTFOUND, 'other side closed') under 'fetch failed' / 'terminated' */
function networkWhy(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err?.cause;
  const detail = cause ? (cause.code ?? cause.message) : undefined;
  return detail && detail !== err.message ? `${err.message}: ${detail}` : String(err?.message ?? e);
}
