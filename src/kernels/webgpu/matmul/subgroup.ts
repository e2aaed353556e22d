// Subgroup kernel, for software adapters. One workgroup = one subgroup of S lanes computing `tm`
// rows × 4·nb·S columns; lane l owns the vec4 column groups colBase4 + j·S + l (j < nb) of every
// row. Per quad of k-steps the A values the tile needs (tm rows × 4 k) are loaded ONCE, spread over
// the lanes (tm/S vec4 per lane), and handed to every lane with subgroupBroadcast — on llvmpipe a
// register extract, where a load is a branchy per-lane sequence (~9 instructions per element).
// Only B, whose values differ per lane anyway, is loaded per lane. Products are summed over the
// quad in temporaries before they touch the loop-carried accumulators (llvmpipe blends each
// loop-carried update with the loop mask), and the loop body is kept small: every load site
// expands to ~35 instructions per lane, and an unrolled body that overflows the instruction cache
// ran 2× slower.
import type { MatmulArgs } from '../../backend.js';
import type { SgConfig } from './config.js';
import { paramBinding } from '../params.js';
import { aligned, C, grid, MATMUL_PARAMS, range, type MatmulPlan } from './plan.js';

/** Whether the subgroup kernel can run this call (vec4 bindings need aligned shapes and offsets). */
export function sgFits(g: MatmulArgs, offA: number, offB: number, c: SgConfig, S: number): boolean {
  if (S < 4 || S > 16 || S % 4 || c.tm % S) return false;
  const aOk = g.transA ? aligned(g.m, offA, g.strideA) : aligned(g.k, offA, g.strideA);
  const bOk = g.transB ? aligned(g.k, offB, g.strideB) : aligned(g.n, offB, g.strideB);
  // vec4 stores of the output
  return aOk && bOk && g.n % 4 === 0;
}

export function planSg(g: MatmulArgs, c: SgConfig, S: number, maxPerDim = 65535): MatmulPlan {
  const p = grid(g, 4 * c.nb * S, c.tm, maxPerDim, g.transA ? 'vm' : 'vk', g.transB ? 'vk' : 'vn');
  // rows along x (see the kernel)
  p.groups = [p.groups[1], p.groups[0], p.groups[2]];
  return p;
}

export function matmulSgSource(transA: boolean, transB: boolean, bias: boolean, c: SgConfig, S: number): string {
  const { tm, nb } = c;
  const rows = range(tm),
    js = range(nb),
    es = range(4),
    cs = range(4),
    qs = range(tm / S);
  const un = Math.max(1, c.un);
  const setup: string[] = [];
  if (!transA) {
    // lane l loads rows q·S + l
    for (const q of qs) setup.push(`let ar${q} = aBase + min(row0 + ${q * S}u + lane, m - 1u) * k4;`);
  } else {
    // lane l loads k-step (l % 4) of row quads (l / 4) + q·S/4
    setup.push('let lk = lane % 4u;');
    for (const q of qs) setup.push(`let am${q} = min(row0 / 4u + lane / 4u + ${(q * S) / 4}u, m4 - 1u);`);
  }
  for (const j of js) setup.push(`let cq${j} = colBase4 + ${j * S}u + lane;`);
  if (!transB) for (const j of js) setup.push(`let cl${j} = min(cq${j}, n4 - 1u);`);
  // B stored [n, k]: the lane's 4·nb columns are rows of Bt
  else
    for (const j of js)
      for (const e of es) setup.push(`let bc${j}_${e} = bBase + min(cq${j} * 4u + ${e}u, n - 1u) * k4;`);

  // loads for one quad of k-steps starting at p (p % 4 == 0), names suffixed with `id`; returns
  // the lines and the product terms of every (row, column group)
  const quad = (p: string, id: string): { L: string[]; terms: (r: number, j: number) => string[] } => {
    const L: string[] = [];
    if (!transA) for (const q of qs) L.push(`let aV${id}_${q} = A[ar${q} + ${p} / 4u];`);
    else for (const q of qs) L.push(`let aV${id}_${q} = A[aBase + (${p} + lk) * m4 + am${q}];`);
    // A(r, cc): non-transposed, lane r % S holds row r's 4 k-values; transposed, lane
    // cc + 4·((r / 4) % (S / 4)) holds rows 4·(r/4).. at k-step cc
    const aOf = (r: number, cc: number) => (transA ? `a${id}_${cc}_${r >> 2}.${C[r & 3]}` : `a${id}_${r}.${C[cc]}`);
    if (!transA)
      for (const r of rows) L.push(`let a${id}_${r} = subgroupBroadcast(aV${id}_${Math.floor(r / S)}, ${r % S}u);`);
    else
      for (const cc of cs)
        for (let rq = 0; rq < tm / 4; rq++) {
          L.push(
            `let a${id}_${cc}_${rq} = subgroupBroadcast(aV${id}_${Math.floor((4 * rq) / S)}, ${cc + 4 * (rq % (S / 4))}u);`,
          );
        }
    if (!transB)
      for (const cc of cs)
        for (const j of js) L.push(`let b${id}_${cc}_${j} = B[bBase + (${p} + ${cc}u) * n4 + cl${j}];`);
    else for (const j of js) for (const e of es) L.push(`let t${id}_${j}_${e} = B[bc${j}_${e} + ${p} / 4u];`);
    const bVec = (cc: number, j: number) =>
      transB ? `vec4<f32>(${es.map((e) => `t${id}_${j}_${e}.${C[cc]}`).join(', ')})` : `b${id}_${cc}_${j}`;
    return { L, terms: (r, j) => cs.map((cc) => `${aOf(r, cc)} * ${bVec(cc, j)}`) };
  };
  // `count` quads: all loads first, then one update per accumulator (fewer masked read-modify-writes
  // of the spilled accumulators)
  const step = (count: number, p: (u: number) => string, tag: string): string[] => {
    const qsx = range(count).map((u) => quad(p(u), `${tag}${u}`));
    const L = ['{', ...qsx.flatMap((x) => x.L)];
    for (const r of rows)
      for (const j of js) L.push(`acc${r}_${j} += ${qsx.flatMap((x) => x.terms(r, j)).join(' + ')};`);
    L.push('}');
    return L;
  };
  const body = step(un, (u) => (u === 0 ? 'p' : `(p + ${4 * u}u)`), 'q');

  // k % 4 != 0 happens only with transposed A and plain B (neither reads along k in vec4s)
  const tail: string[] = [];
  if (transA && !transB) {
    for (let rq = 0; rq < tm / 4; rq++) tail.push(`let a${rq} = A[aBase + p * m4 + min(row0 / 4u + ${rq}u, m4 - 1u)];`);
    for (const j of js) tail.push(`let b${j} = B[bBase + p * n4 + cl${j}];`);
    for (const r of rows) for (const j of js) tail.push(`acc${r}_${j} += a${r >> 2}.${C[r & 3]} * b${j};`);
  }

  // n % 4 == 0 here: one vec4 store per row and column group; the bias is loaded once per group
  const stores: string[] = [];
  if (bias)
    for (const j of js)
      stores.push(
        `let bias${j} = vec4<f32>(${es.map((e) => `Bias[offBias + min(cq${j}, n4 - 1u) * 4u + ${e}u]`).join(', ')});`,
      );
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    for (const j of js)
      stores.push(
        `  if (cq${j} < n4) { O[(batch * m + row0 + ${r}u) * n4 + cq${j}] = acc${r}_${j}${bias ? ` + bias${j}` : ''}; }`,
      );
    stores.push('}');
  }

  return `enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(bias ? 4 : 3)}
@compute @workgroup_size(${S}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${MATMUL_PARAMS.preamble()}
  let k4 = k / 4u; let m4 = m / 4u; let n4 = n / 4u;
  let batch = wid.z / ySplit;
  // x walks row blocks: consecutive workgroups reuse one B column panel (L2) and the TLB entries
  // of its strided rows
  let rb = wid.x + (wid.z % ySplit) * nwg.x;
  let row0 = rb * ${tm}u;
  let colBase4 = wid.y * ${nb * S}u;
  let aBase = offA + batch * strideA;
  let bBase = offB + batch * strideB;
  ${setup.join('\n  ')}
  ${rows.map((r) => js.map((j) => `var acc${r}_${j} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  let kMain = k / ${4 * un}u * ${4 * un}u;
  for (var p = 0u; p < kMain; p += ${4 * un}u) {
    ${body.join('\n    ')}
  }
  ${un > 1 ? `for (var p = kMain; p + 4u <= k; p += 4u) {\n    ${step(1, () => 'p', 't').join('\n    ')}\n  }` : ''}
  ${tail.length ? `for (var p = k / 4u * 4u; p < k; p++) {\n    ${tail.join('\n    ')}\n  }` : ''}
  ${stores.join('\n  ')}
}`;
}
