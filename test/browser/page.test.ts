// The fine-tuning page (examples/web) in a real Chromium, driven like a user would: it loads the
// pretrained SmallCNN on WebGPU (headless Chrome's SwiftShader adapter), freezes all but the head,
// fine-tunes to the end, predicts a digit drawn with the mouse, downloads its weights and inspects
// dropped checkpoints. The first training steps' losses must equal the same steps computed here in
// Node (examples/web/recipe.ts, the same code on src/index.ts) on both devices; without WebGPU the
// page falls back to the cpu device. Also: the browser bundle alone, imported in a module Worker.
// FINETORCH_WEB_SCREENSHOT=docs/web-page.png saves the page after fine-tuning.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, OUT, ROOT } from '../../examples/web/build.mjs';
import { decodeDigits, type DigitSets } from '../../examples/web/digits.js';
import { firstLosses } from '../../examples/web/recipe.js';
import { serve } from '../../examples/web/serve.mjs';
import { torch } from '../harness.js';
import { browserAvailable, launch } from './chromium.js';

const PRETRAINED = join(ROOT, 'examples/assets/smallcnn-mnist04.safetensors');
const STEPS = 3;
const REL = 1e-5;

/** A page on `url` that fails the test with the page's own errors when it ends in state 'error'. */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  await waitState(page, errors, ['ready']);
  return { page, errors };
}

async function waitState(page: Page, errors: string[], states: string[], timeout = 120_000): Promise<void> {
  const want = JSON.stringify([...states, 'error']);
  await page.waitForFunction(`${want}.includes(document.body.dataset.state)`, { timeout });
  const state = await page.evaluate('document.body.dataset.state');
  if (state === 'error')
    throw new Error(
      `page error: ${await page.evaluate('document.getElementById("status").textContent')}\n${errors.join('\n')}`,
    );
}

const text = (page: Page, id: string) =>
  page.evaluate(`document.getElementById(${JSON.stringify(id)}).textContent`) as Promise<string>;

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(Math.abs(g - want[i]) / Math.abs(want[i]), `step ${i + 1}: browser ${g}, node ${want[i]}`).toBeLessThan(REL);
  });
}

describe.skipIf(!browserAvailable())('the fine-tuning page in Chromium', () => {
  let site: Awaited<ReturnType<typeof serve>>;
  let weights: Uint8Array;
  let digits: DigitSets;
  const work = mkdtempSync(join(tmpdir(), 'finetorch-web-'));

  beforeAll(async () => {
    await buildWeb();
    site = await serve(OUT);
    weights = readFileSync(PRETRAINED);
    digits = decodeDigits(readFileSync(join(OUT, 'digits.bin')));
  }, 180_000);
  afterAll(async () => {
    await site?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('with WebGPU', () => {
    let browser: Browser;
    let page: Page;
    let errors: string[];
    beforeAll(async () => {
      browser = await launch(true);
      ({ page, errors } = await openPage(browser, `${site.url}?autotune=0`));
    }, 180_000);
    afterAll(() => browser?.close());

    it('runs on the WebGPU adapter, cross-origin isolated, with the module table', async () => {
      expect(await text(page, 'adapter')).toMatch(/^running on WebGPU: \S/);
      expect(await page.evaluate('crossOriginIsolated')).toBe(true);
      expect(await text(page, 'load')).toMatch(/loaded 18 of 20 model tensors/);
      expect(await text(page, 'totals')).toBe('26,293 parameters, 26,293 trainable');
    });

    it("a training step's loss equals Node's", async () => {
      const r = (await page.evaluate(`window.finetorchPage.call('firstLosses', { steps: ${STEPS} })`)) as {
        losses: number[];
        device: string;
      };
      expect(r.device).toBe('webgpu');
      const nodeDevice = torch.isAvailable('webgpu') ? 'webgpu' : 'cpu';
      expectClose(r.losses, await firstLosses(torch, weights, digits.train, nodeDevice, STEPS));
    }, 120_000);

    it('freezes all but the head and fine-tunes to the end', async () => {
      await page.click('#freeze');
      await waitState(page, errors, ['frozen']);
      expect(await text(page, 'totals')).toBe('26,293 parameters, 2,885 trainable');
      // the type column too: module classes keep their names through the bundle's minification
      const rows = (await page.evaluate(
        '[...document.querySelectorAll("#tree tr")].map((r) => [...r.cells].map((c) => c.textContent))',
      )) as string[][];
      expect(rows).toContainEqual(['bn1', 'BatchNorm2d', '32', '0', 'frozen (1 BatchNorm in eval)']);
      expect(rows).toContainEqual(['conv1', 'Conv2d', '144', '0', 'frozen']);
      expect(rows).toContainEqual(['fc', 'Linear', '2,885', '2,885', 'trainable']);
      await page.click('#train');
      await waitState(page, errors, ['trained'], 600_000);
      const line = await text(page, 'accuracy');
      const m =
        /^test accuracy on digits 5–9: (\d+\.\d)% \(loss \d+\.\d+\), frozen backbone bitwise unchanged, \d+\.\d s$/.exec(
          line,
        );
      expect(m, line).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(80); // chance is 20%; the demo reaches ~93%
      expect(await text(page, 'status')).toMatch(/^epoch 6\/6: /);
    }, 600_000);

    it('predicts the top 3 of a digit drawn with the mouse', async () => {
      const box = (await (await page.$('#pad'))!.boundingBox())!;
      const at = (x: number, y: number) => [box.x + x * box.width, box.y + y * box.height] as const;
      // a 7: the bar, then the stem, in one stroke
      await page.mouse.move(...at(0.22, 0.2));
      await page.mouse.down();
      await page.mouse.move(...at(0.78, 0.2), { steps: 8 });
      await page.mouse.move(...at(0.42, 0.85), { steps: 10 });
      await page.mouse.up();
      await page.waitForFunction('document.querySelectorAll("#prediction div").length === 3', { timeout: 60_000 });
      const rows = (await text(page, 'prediction')).match(/(\d): (\d+\.\d)%/g)!.map((s) => s.split(': '));
      const ps = rows.map(([, p]) => Number.parseFloat(p));
      expect(new Set(rows.map(([d]) => d)).size).toBe(3);
      for (const [d] of rows) expect(Number(d)).toBeGreaterThanOrEqual(5);
      expect(ps).toEqual([...ps].sort((a, b) => b - a));
      expect(rows.map(([d]) => d)).toContain('7');
      if (process.env.FINETORCH_WEB_SCREENSHOT)
        await page.screenshot({ path: process.env.FINETORCH_WEB_SCREENSHOT as `${string}.png`, fullPage: true });
    }, 120_000);

    it('downloads the fine-tuned weights as a safetensors file with the frozen backbone unchanged', async () => {
      const dir = join(work, 'downloads');
      const cdp = await page.createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
      await page.click('#download');
      const file = join(dir, 'smallcnn-digits59.safetensors');
      for (let i = 0; i < 300 && !(existsSync(file) && !readdirSync(dir).some((f) => f.endsWith('.crdownload'))); i++)
        await new Promise((r) => setTimeout(r, 100));
      const tuned = (await torch.load(readFileSync(file))) as Record<string, InstanceType<typeof torch.Tensor>>;
      const pre = (await torch.load(PRETRAINED)) as Record<string, InstanceType<typeof torch.Tensor>>;
      expect(Object.keys(tuned).sort()).toEqual(Object.keys(pre).sort());
      expect(tuned['fc.weight'].shape).toEqual([5, 576]);
      for (const k of Object.keys(pre).filter((key) => !key.startsWith('fc.')))
        expect(await tuned[k].data(), k).toEqual(await pre[k].data());
    }, 60_000);

    it('lists the keys of a dropped .safetensors and .pth', async () => {
      const input = (await page.$('#file'))!;
      await input.uploadFile(PRETRAINED);
      await page.waitForFunction('document.getElementById("keys").textContent.includes("conv1.weight")', {
        timeout: 30_000,
      });
      const st = await text(page, 'keys');
      expect(st).toMatch(/^smallcnn-mnist04\.safetensors: safetensors, 20 tensors, /);
      expect(st).toMatch(/fc\.weight\s+F32\s+\[5, 576\]/);
      const pth = join(work, 'head.pth');
      await torch.save({ 'fc.weight': torch.zeros([5, 576]), 'fc.bias': torch.zeros([5]) }, pth);
      await input.uploadFile(pth);
      await page.waitForFunction('document.getElementById("keys").textContent.startsWith("head.pth")', {
        timeout: 30_000,
      });
      expect(await text(page, 'keys')).toMatch(
        /^head\.pth: pth, 2 tensors, 2,885 parameters\n {2}fc\.weight\s+\S+\s+\[5, 576\]\n {2}fc\.bias\s+\S+\s+\[5\]/,
      );
      writeFileSync(join(work, 'junk.pth'), 'not a checkpoint');
      await input.uploadFile(join(work, 'junk.pth'));
      await page.waitForFunction('document.querySelector("#keys .err") !== null', { timeout: 30_000 });
      expect(await text(page, 'keys')).toMatch(/junk\.pth: .*not a checkpoint/);
    }, 60_000);

    it('the browser bundle works on its own in a module Worker', async () => {
      const r = (await page.evaluate(`new Promise((resolve, reject) => {
        const src = "globalThis.FINETORCH_ENV = { FINETORCH_AUTOTUNE: '0' };" +
          "const t = await import('" + new URL('finetorch.js', location.href) + "');" +
          "await t.init(); const a = t.tensor([[1, 2], [3, 4]]);" +
          "postMessage({ device: t.defaultDevice(), value: await a.matmul(a).sum().item(), adapter: t.webgpu.info()?.description ?? null });";
        const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
        w.onmessage = (e) => { resolve(e.data); w.terminate(); };
        w.onerror = (e) => reject(new Error('worker: ' + e.message));
      })`)) as { device: string; value: number; adapter: string | null };
      expect(r).toMatchObject({ device: 'webgpu', value: 54 });
      expect(r.adapter).toBeTruthy();
    }, 60_000);
  });

  describe('without WebGPU', () => {
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      browser = await launch(false);
      ({ page } = await openPage(browser, `${site.url}?autotune=0`));
    }, 180_000);
    afterAll(() => browser?.close());

    it("falls back to the cpu device, and a training step's loss equals Node's", async () => {
      expect(await text(page, 'adapter')).toBe('running on the cpu device (no WebGPU adapter)');
      const r = (await page.evaluate(`window.finetorchPage.call('firstLosses', { steps: ${STEPS} })`)) as {
        losses: number[];
        device: string;
      };
      expect(r.device).toBe('cpu');
      expectClose(r.losses, await firstLosses(torch, weights, digits.train, 'cpu', STEPS));
    }, 120_000);
  });
});
