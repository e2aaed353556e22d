// A static server for the built page (dist/web) on 127.0.0.1: correct MIME types (module scripts and
// application/wasm, which WebAssembly.instantiateStreaming insists on) and COOP/COEP headers, so the
// page is cross-origin isolated (SharedArrayBuffer and threaded wasm work there). No directory
// listings, nothing outside the root. `node examples/web/serve.mjs [dir]` (PORT=8080 by default).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/** Serve `root` on host:port (port 0: a free one). Resolves when listening. */
export function serve(root, { host = '127.0.0.1', port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const isolate = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, isolate).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, isolate).end();
      return;
    }
    let file = resolve(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403, isolate).end();
      return;
    }
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      res.writeHead(404, { ...isolate, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      ...isolate,
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const a = server.address();
      ok({ server, url: `http://${host}:${a.port}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = process.argv[2] ?? fileURLToPath(new URL('../../dist/web/', import.meta.url));
  const port = Number(process.env.PORT ?? 8080);
  const s = await serve(root, { port }).catch((e) => {
    if (e.code !== 'EADDRINUSE') throw e;
    console.error(`port ${port} is taken; using a free one`);
    return serve(root, { port: 0 });
  });
  console.log(`serving ${root} at ${s.url}  (Ctrl-C stops)`);
}
