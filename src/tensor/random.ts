// The seeded generator behind rand/randn/randint, dropout and init. Numbers are drawn on the host
// and uploaded, so a seed gives the same values on every device.

/** xoshiro128** — small, fast, good statistical quality; state seeded through splitmix32. */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;
  constructor(seed = 0x2545f491) {
    this.manualSeed(seed);
  }
  manualSeed(seed: number): this {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
    return this;
  }
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ((s[3] << 11) | (s[3] >>> 21)) >>> 0;
    return r;
  }
  /** uniform in [0, 1) with 24 random bits (exactly representable in float32) */
  uniform(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** integer in [low, high) */
  int(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }
  getState(): Uint32Array {
    return this.s.slice();
  }
  setState(st: Uint32Array): void {
    this.s.set(st);
    this.spare = null;
  }
}

export const defaultGenerator = new Generator();
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
