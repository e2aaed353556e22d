// Finding and launching the system's Chromium for the browser tests, and the one rule about skipping:
// the tests skip (visibly) only when no Chromium is installed and FINETORCH_REQUIRE_BROWSER is not
// set; CI sets it, so a CI machine without Chromium fails instead of passing silently.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The Chromium binary: $CHROMIUM_PATH, else the usual Debian/Ubuntu paths; null when none exists. */
export function chromiumPath(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH=${env} does not exist`);
    return env;
  }
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Whether to run: true with a Chromium; false (skip) without one unless required, when it throws. */
export function browserAvailable(): boolean {
  const path = chromiumPath();
  if (path) return true;
  if (process.env.FINETORCH_REQUIRE_BROWSER === '1') {
    throw new Error(
      `FINETORCH_REQUIRE_BROWSER=1 but no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  }
  console.warn(
    'test/browser: no Chromium installed, skipping the browser tests (FINETORCH_REQUIRE_BROWSER=1 makes this an error)',
  );
  return false;
}

/**
 * Headless Chromium; `webgpu` adds --enable-unsafe-webgpu, which gives headless Linux Chrome's
 * SwiftShader adapter. Without it navigator.gpu exists but has no adapter: the page's cpu fallback.
 */
export function launch(webgpu: boolean): Promise<Browser> {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-dev-shm-usage',
    ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
  ];
  return puppeteer.launch({
    executablePath: chromiumPath()!,
    args,
    headless: true,
    defaultViewport: { width: 1000, height: 860 },
  });
}
