// A windowed query over time: one line per group for the chosen measure, window_start on x.
import { useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { epochMs } from '../format';
import type { Row } from '../live';
import { UPlot } from '../components/UPlot';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const WINDOW_COLUMNS = new Set(['window_start', 'window_end']);

interface Shape { xs: number[]; groups: string[]; data: uPlot.AlignedData }

/** Rows to uPlot's columns: distinct window starts (seconds) and one series per group. */
function shape(rows: Row[], columns: string[], measure: string): Shape {
  const groupCols = columns.filter((c) => !WINDOW_COLUMNS.has(c) && typeof rows[0]?.[c] !== 'number');
  const groupOf = (r: Row) => groupCols.map((c) => String(r[c])).join(' · ') || measure;
  const xs = [...new Set(rows.map((r) => epochMs(r.window_start)).filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
  const groups = [...new Set(rows.map(groupOf))].sort().slice(0, COLORS.length);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = groups.map(() => xs.map((): number | null => null));
  for (const r of rows) {
    const g = groups.indexOf(groupOf(r));
    const i = at.get(epochMs(r.window_start));
    const v = r[measure];
    if (g >= 0 && i !== undefined && typeof v === 'number') series[g]![i] = v;
  }
  return { xs, groups, data: [xs.map((x) => x / 1000), ...series] };
}

export function WindowChart({ rows, columns }: { rows: Row[]; columns: string[] }) {
  const measures = columns.filter((c) => !WINDOW_COLUMNS.has(c) && rows.some((r) => typeof r[c] === 'number'));
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const measure = chosen && measures.includes(chosen) ? chosen : measures[0];
  if (!measure) return <p class="empty">No numeric column to chart yet.</p>;
  const { groups, data } = shape(rows, columns, measure);
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    scales: { x: { time: true } },
    axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' } }],
    series: [{ label: 'window start' }, ...groups.map((g, i) => ({ label: g, stroke: COLORS[i], width: 2, spanGaps: true, points: { size: 6 } }))],
  };
  return (
    <div data-testid="chart">
      <label class="inline">
        Measure{' '}
        <select value={measure} onChange={(e) => setChosen(e.currentTarget.value)}>
          {measures.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <UPlot options={options} seriesKey={`${measure}|${groups.join('|')}`} data={data} height={260} />
    </div>
  );
}
