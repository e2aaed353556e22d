#!/usr/bin/env node
// Fails when the modules under src/ import each other in a cycle that carries values. ES modules
// tolerate such cycles only while no module reads another's binding during evaluation, so a cycle
// works until someone adds a top-level use and then fails with a TDZ error far from the change.
// Type-only imports vanish at compile time (no verbatimModuleSyntax here), so they are ignored:
// `import type`, `export type`, and `{ type A, type B }` lists with no value specifier.
// Plain Node, no dependency: line-anchored regexes, not a TypeScript parser.
//
//   node tools/check-cycles.mjs [root ...]    (default: src)
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every .ts file under dir (declaration files excluded). */
function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `import|export [type] <clause> from '<spec>'` at a line start; the clause holds only names, braces,
// commas, `*` and whitespace, so a declaration (`export const x = …`) never reaches a later `from`.
const FROM = /^[ \t]*(import|export)[ \t]+(type[ \t]+)?([\w$\s,*{}]*?)\s*from\s*['"]([^'"]+)['"]/gm;
// `import '<spec>'`: evaluated for its effect, so it carries a value edge.
const BARE = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;

/** Whether an import/export clause binds any value (rather than only types). */
function carriesValue(clause) {
  const c = clause.trim();
  if (!c.includes('{')) return true; // default import, namespace import, `export *`
  const [head, rest] = c.split('{');
  if (head.replace(/,/g, '').trim()) return true; // `X, { ... }`: the default import is a value
  const names = rest
    .replace('}', '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // `import {} from 'x'` still evaluates x; a list with only `type` specifiers is elided
  return names.length === 0 || names.some((n) => !/^type\s/.test(n));
}

/** The .ts file a relative specifier names, or null (packages, missing files). */
function resolveSpec(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|ts)$/, '');
  for (const cand of [`${stem}.ts`, join(base, 'index.ts'), join(stem, 'index.ts')]) {
    if (existsSync(cand) && statSync(cand).isFile()) return cand;
  }
  return null;
}

/** file → files it imports values from */
export function valueGraph(roots) {
  const graph = new Map();
  const files = roots.flatMap((r) => listTs(resolve(r)));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(FROM)) {
      if (m[2] || !carriesValue(m[3])) continue;
      const to = resolveSpec(f, m[4]);
      if (to) deps.add(to);
    }
    for (const m of text.matchAll(BARE)) {
      const to = resolveSpec(f, m[1]);
      if (to) deps.add(to);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components with a cycle (Tarjan, iterative so deep graphs cannot overflow). */
export function cycles(graph) {
  let next = 0;
  const index = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    out = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, [...(graph.get(start) ?? [])], 0]];
    index.set(start, next);
    low.set(start, next);
    next++;
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, succ] = frame;
      if (frame[2] < succ.length) {
        const w = succ[frame[2]++];
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next);
          next++;
          stack.push(w);
          onStack.add(w);
          work.push([w, [...graph.get(w)], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const scc = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1 || graph.get(v).has(v)) out.push(scc.sort());
      }
    }
  }
  return out;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const roots = process.argv.slice(2);
  const graph = valueGraph(roots.length ? roots : ['src']);
  const found = cycles(graph);
  const rel = (f) => relative(process.cwd(), f);
  if (!found.length) {
    console.log(`check-cycles: no value-carrying import cycle among ${graph.size} files`);
  } else {
    console.error(`check-cycles: ${found.length} value-carrying import cycle(s):`);
    for (const scc of found) {
      const inScc = new Set(scc);
      console.error(`\n  ${scc.length} files:`);
      for (const f of scc) {
        const deps = [...graph.get(f)].filter((d) => inScc.has(d)).map(rel);
        console.error(`    ${rel(f)} → ${deps.join(', ')}`);
      }
    }
    process.exitCode = 1;
  }
}
