// The progress display (a bar redrawn in place on a TTY, plain lines otherwise) and the learning-curve SVG.
import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/finetune/progress.js';
import { niceTicks } from '../../src/finetune/curve.js';
import { torch } from '../harness.js';

describe('progress', () => {
  it('on a TTY: one line redrawn with steps, loss, throughput and ETA; messages clear it first', () => {
    const writes: string[] = [];
    const tty = {
      isTTY: true,
      write: (s: string) => {
        writes.push(s);
        return true;
      },
    };
    const p = new Progress('auto', tty);
    p.startEpoch('epoch 1/3', 8);
    p.update(2, 16, 0.5);
    p.update(4, 32, 0.25);
    p.line('epoch 1  train loss 0.2500');
    expect(writes[0]).toMatch(
      /^\r\x1b\[Kepoch 1\/3 \[######\.{18}\] 2\/8 {2}loss 0\.5000 {2}[\d.]+ samples\/s {2}ETA \d+:\d\d$/,
    );
    expect(writes[1]).toMatch(/^\r\x1b\[Kepoch 1\/3 \[#{12}\.{12}\] 4\/8 {2}loss 0\.2500/);
    expect(writes.slice(2)).toEqual(['\r\x1b[K', 'epoch 1  train loss 0.2500\n']);
  });
  it('not a TTY: a few plain lines per epoch; false: silent', () => {
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l));
    p.startEpoch('epoch 2/3', 16);
    for (let s = 1; s <= 16; s++) p.update(s, s * 4, 1 / s);
    expect(lines.map((l) => l.split('  ')[0])).toEqual([
      'epoch 2/3 step 4/16',
      'epoch 2/3 step 8/16',
      'epoch 2/3 step 12/16',
    ]);
    const writes: string[] = [];
    const off = new Progress(false, {
      isTTY: true,
      write: (s: string) => {
        writes.push(s);
        return true;
      },
    });
    off.startEpoch('e', 2);
    off.update(1, 1, 1);
    off.line('x');
    expect(writes).toEqual([]);
  });
});

describe('learning curve', () => {
  it('round ticks covering the range', () => {
    expect(niceTicks(0.23, 1.87)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0.5, 0.5)).toEqual([0.45, 0.475, 0.5, 0.525, 0.55]); // a flat series gets a ±10% band
  });
  it('a loss panel, an accuracy panel when there are accuracies, and a gap where a value is missing', () => {
    const svg = torch.finetune.learningCurveSvg([
      { epoch: 1, trainLoss: 1.2, valLoss: 1.3 },
      { epoch: 2, trainLoss: 0.8 },
      { epoch: 3, trainLoss: 0.5, valLoss: 0.7 },
    ]);
    expect(svg).not.toMatch(/accuracy/);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
    expect(paths.length).toBe(2);
    expect(paths[0].match(/[ML]/g)).toEqual(['M', 'L', 'L']);
    expect(paths[1].match(/[ML]/g)).toEqual(['M', 'M']); // val loss: epoch 2 is missing
    expect(svg).toMatch(/>val loss</);
  });
});
