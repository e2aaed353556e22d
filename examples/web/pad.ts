// The drawing pad: pointer strokes in white on a black canvas (MNIST's colours), thick enough that
// the 28x28 reduction (mnist-style.ts) looks like a pen stroke. Calls `done` with the 28x28 digit
// after each stroke.
import { toMnist } from './mnist-style.js';

export function drawingPad(canvas: HTMLCanvasElement, done: (digit: Float32Array) => void): { clear(): void } {
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    g.fillStyle = '#000';
    g.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last: { x: number; y: number } | null = null;
  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    g.strokeStyle = '#fff';
    g.lineWidth = canvas.width / 12;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(last.x, last.y);
    g.lineTo(p.x, p.y);
    g.stroke();
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    const { data, width, height } = g.getImageData(0, 0, canvas.width, canvas.height);
    const gray = new Float32Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = data[4 * i] / 255;
    const digit = toMnist(gray, width, height);
    if (digit) done(digit);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear };
}
