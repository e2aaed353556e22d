// The learning curve as a self-contained SVG (written by hand, no plotting dependency): one panel for
// the losses per epoch, a second for accuracies when any were recorded. Series with no finite value
// are left out; a missing value breaks the line rather than drawing it through zero.

export interface Series {
  name: string;
  values: (number | null | undefined)[];
  color: string;
  dashed?: boolean;
}

const W = 640,
  PANEL_H = 260,
  PAD_L = 64,
  PAD_R = 150,
  PAD_T = 34,
  PAD_B = 40;
const COLORS: Record<string, string> = {
  trainLoss: '#1f77b4',
  valLoss: '#d62728',
  emaValLoss: '#9467bd',
  trainAccuracy: '#1f77b4',
  valAccuracy: '#d62728',
  emaValAccuracy: '#9467bd',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(3));

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  if (out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toPrecision(12));
  return out;
}

function panel(title: string, epochs: number[], series: Series[], top: number): string {
  const vals = series.flatMap((s) => s.values).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const ticks = niceTicks(Math.min(...vals), Math.max(...vals));
  const y0 = ticks[0],
    y1 = ticks[ticks.length - 1];
  const x0 = epochs[0],
    x1 = epochs[epochs.length - 1];
  const plotW = W - PAD_L - PAD_R,
    plotH = PANEL_H - PAD_T - PAD_B;
  const X = (e: number) => PAD_L + (x1 === x0 ? plotW / 2 : ((e - x0) / (x1 - x0)) * plotW);
  const Y = (v: number) => top + PAD_T + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${PAD_L}" y="${top + 20}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${PAD_L}" y="${top + PAD_T}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const t of ticks) {
    const y = Y(t).toFixed(1);
    parts.push(`<line x1="${PAD_L}" y1="${y}" x2="${PAD_L + plotW}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${PAD_L - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`,
    );
  }
  const stride = Math.max(1, Math.ceil(epochs.length / 10));
  epochs.forEach((e, i) => {
    if (i % stride !== 0 && i !== epochs.length - 1) return;
    parts.push(
      `<text x="${X(e).toFixed(1)}" y="${top + PAD_T + plotH + 16}" font-size="11" text-anchor="middle">${e}</text>`,
    );
  });
  parts.push(
    `<text x="${PAD_L + plotW / 2}" y="${top + PANEL_H - 6}" font-size="12" text-anchor="middle">epoch</text>`,
  );
  series.forEach((s, k) => {
    // one path with a move-to after every gap
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${X(epochs[i]).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    });
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    s.values.forEach((v, i) => {
      if (typeof v === 'number' && Number.isFinite(v))
        parts.push(`<circle cx="${X(epochs[i]).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    });
    const ly = top + PAD_T + 10 + k * 18;
    parts.push(
      `<line x1="${W - PAD_R + 12}" y1="${ly}" x2="${W - PAD_R + 36}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${W - PAD_R + 42}" y="${ly}" font-size="12" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

const hasValue = (s: Series) => s.values.some((v) => typeof v === 'number' && Number.isFinite(v));

/**
 * An SVG of the per-epoch records: losses in one panel, accuracies in another (when present).
 * `records` are fit's epoch records (`epoch`, `trainLoss`, `valLoss`, `trainAccuracy`, ...).
 */
export function learningCurveSvg(records: readonly Record<string, unknown>[], title = 'learning curve'): string {
  const epochs = records.map((r, i) => (typeof r.epoch === 'number' ? r.epoch : i + 1));
  const pick = (key: string, name: string, dashed = false): Series => ({
    name,
    color: COLORS[key] ?? '#333',
    dashed,
    values: records.map((r) => (typeof r[key] === 'number' ? (r[key] as number) : null)),
  });
  const losses = [
    pick('trainLoss', 'train loss'),
    pick('valLoss', 'val loss'),
    pick('emaValLoss', 'EMA val loss', true),
  ].filter(hasValue);
  const accs = [
    pick('trainAccuracy', 'train accuracy'),
    pick('valAccuracy', 'val accuracy'),
    pick('emaValAccuracy', 'EMA val accuracy', true),
  ].filter(hasValue);
  const panels: [string, Series[]][] = [];
  if (losses.length) panels.push([`${title}: loss`, losses]);
  if (accs.length) panels.push([`${title}: accuracy`, accs]);
  const height = Math.max(1, panels.length) * PANEL_H;
  const body =
    epochs.length === 0 || panels.length === 0
      ? `<text x="${W / 2}" y="${PANEL_H / 2}" text-anchor="middle" font-size="14">no epochs recorded</text>`
      : panels.map(([t, s], i) => panel(t, epochs, s, i * PANEL_H)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`;
}
