// The live learning curve: training loss (left axis) and validation accuracy (right axis, 0–100%)
// after every epoch, redrawn on a canvas as events arrive. No chart library.

export interface CurveData {
  steps: number;
  loss: { x: number; y: number }[];
  acc: { x: number; y: number }[];
}

const PAD = { l: 44, r: 44, t: 12, b: 28 };

export function drawCurve(canvas: HTMLCanvasElement, d: CurveData): void {
  const g = canvas.getContext('2d')!;
  const W = canvas.width,
    H = canvas.height,
    w = W - PAD.l - PAD.r,
    h = H - PAD.t - PAD.b;
  g.clearRect(0, 0, W, H);
  g.font = '11px system-ui, sans-serif';
  g.strokeStyle = '#ccc';
  g.fillStyle = '#555';
  g.lineWidth = 1;
  g.strokeRect(PAD.l, PAD.t, w, h);
  const maxLoss = Math.max(0.5, ...d.loss.map((p) => p.y)) * 1.05;
  const X = (x: number) => PAD.l + (w * x) / Math.max(1, d.steps);
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + (h * i) / 4;
    g.fillText((maxLoss * (1 - i / 4)).toFixed(2), 4, y + 4);
    g.fillText(`${100 - 25 * i}%`, W - PAD.r + 6, y + 4);
  }
  g.fillText('epoch', PAD.l + w / 2 - 14, H - 8);
  const line = (pts: { x: number; y: number }[], Y: (v: number) => number, color: string) => {
    g.strokeStyle = color;
    g.fillStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    pts.forEach((p, i) => {
      if (i) g.lineTo(X(p.x), Y(p.y));
      else g.moveTo(X(p.x), Y(p.y));
    });
    g.stroke();
    if (pts.length <= 30) for (const p of pts) g.fillRect(X(p.x) - 2, Y(p.y) - 2, 4, 4);
  };
  line(d.loss, (v) => PAD.t + h * (1 - v / maxLoss), '#d9480f');
  line(d.acc, (v) => PAD.t + h * (1 - v), '#1971c2');
}
