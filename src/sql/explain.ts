// A readable, stable text of a plan: returned by the API and checked by the golden files.
import { Decimal } from '../functions/index.js';
import type { PlanExpr, QueryPlan, WindowSpec } from './plan.js';

const dur = (ms: number): string => {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [u, s] of units) if (ms % u === 0) return `${ms / u}${s}`;
  return `${ms}ms`;
};

/** Text of a window spec, e.g. `HOP(slide=1m, size=5m)`. */
export function explainWindow(w: WindowSpec): string {
  switch (w.kind) {
    case 'tumble': return `TUMBLE(size=${dur(w.size)})`;
    case 'hop': return `HOP(slide=${dur(w.slide)}, size=${dur(w.size)})`;
    case 'cumulate': return `CUMULATE(step=${dur(w.step)}, max=${dur(w.max)})`;
    case 'session': return `SESSION(gap=${dur(w.gap)})`;
  }
}

/** Text of a bound expression. */
export function explainExpr(e: PlanExpr): string {
  const x = explainExpr;
  switch (e.k) {
    case 'const': return typeof e.value === 'string' ? `'${e.value.replace(/'/g, "''")}'` : e.value === null ? 'NULL' : e.type === 'timestamp' ? `TIMESTAMP '${new Date(Number(e.value)).toISOString()}'` : typeof e.value === 'bigint' || e.value instanceof Decimal ? String(e.value) : JSON.stringify(e.value);
    case 'field': return `$${e.path.map((p) => (p.exact ? `"${p.name}"` : p.name.toLowerCase())).join('.')}`;
    case 'arith': return `(${x(e.left)} ${e.op} ${x(e.right)})`;
    case 'neg': return `-${x(e.arg)}`;
    case 'concat': return `(${x(e.left)} || ${x(e.right)})`;
    case 'cmp': return `(${x(e.left)} ${e.op} ${x(e.right)})`;
    case 'distinct': return `(${x(e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${x(e.right)})`;
    case 'and': case 'or': return `(${e.args.map(x).join(` ${e.k.toUpperCase()} `)})`;
    case 'not': return `NOT ${x(e.arg)}`;
    case 'in': return `(${x(e.arg)}${e.negated ? ' NOT' : ''} IN (${e.list.map(x).join(', ')}))`;
    case 'like': return `(${x(e.arg)}${e.negated ? ' NOT' : ''} ${e.ci ? 'ILIKE' : 'LIKE'} ${x(e.pattern)})`;
    case 'is': return `(${x(e.arg)} IS ${e.negated ? 'NOT ' : ''}${e.target.toUpperCase()})`;
    case 'case': return `CASE${e.whens.map((w) => ` WHEN ${x(w.when)} THEN ${x(w.then)}`).join('')}${e.otherwise ? ` ELSE ${x(e.otherwise)}` : ''} END`;
    case 'cast': return `CAST(${x(e.arg)} AS ${e.to.toUpperCase()}${e.scale !== undefined ? `(scale ${e.scale})` : ''})`;
    case 'json': return `(${x(e.arg)} ${e.asText ? '->>' : '->'} ${x(e.key)})`;
    case 'call': return `${e.fn.name}(${e.args.map(x).join(', ')})`;
    case 'key': return `key#${e.index}`;
    case 'agg': return `agg#${e.index}`;
    case 'window': return `window_${e.which}`;
  }
}

/** The whole plan as indented lines. */
export function explainPlan(plan: QueryPlan): string {
  const lines = [`Aggregate source=${plan.source}`];
  if (plan.where) lines.push(`  where: ${explainExpr(plan.where)}`);
  if (plan.window) lines.push(`  window: ${explainWindow(plan.window)} on event time`);
  plan.keys.forEach((k, i) => lines.push(`  key#${i}: ${explainExpr(k.expr)} : ${k.expr.type}`));
  plan.aggregates.forEach((a, i) => {
    const arg = a.arg ? explainExpr(a.arg) : '*';
    const params = a.params.map((p) => `, ${JSON.stringify(p)}`).join('');
    const filter = a.filter ? ` FILTER ${explainExpr(a.filter)}` : '';
    lines.push(`  agg#${i}: ${a.fn.name}(${a.distinct ? 'DISTINCT ' : ''}${arg}${params})${filter} : ${a.type}`);
  });
  if (plan.having) lines.push(`  having: ${explainExpr(plan.having)}`);
  for (const o of plan.outputs) lines.push(`  output "${o.name}": ${explainExpr(o.expr)} : ${o.type}`);
  return lines.join('\n');
}
