// Plain-text tables for the reports (load report, trainability): left-aligned text columns,
// right-aligned number columns, a rule under the header.

export type Align = 'left' | 'right';

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
  indent = '',
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** 11689512 → "11,689,512" */
export const count = (n: number) => n.toLocaleString('en-US');
export const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
