// Types of serve.mjs for the TypeScript tests that import it.
import type { Server } from 'node:http';
export declare const MIME: Record<string, string>;
export declare function serve(
  root: string,
  opts?: { host?: string; port?: number },
): Promise<{ server: Server; url: string; close(): Promise<void> }>;
