// A small line of recent samples (lag, throughput, stream rate), without axes or legend.
import { UPlot } from './UPlot';

const OPTIONS = (color: string) => ({
  legend: { show: false },
  cursor: { show: false },
  select: { show: false, left: 0, top: 0, width: 0, height: 0 },
  axes: [{ show: false }, { show: false }],
  scales: { x: { time: false }, y: { range: (_u: unknown, _min: number, max: number): [number, number] => [-Math.max(1, max) * 0.08, Math.max(1, max) * 1.15] } },
  series: [{}, { stroke: color, width: 1.5, fill: color + '22', points: { show: false } }],
});

export function Sparkline({ values, color = '#2563eb', label }: { values: number[]; color?: string; label: string }) {
  const xs = values.map((_, i) => i);
  return (
    <span class="spark" title={label} aria-label={label}>
      <UPlot options={OPTIONS(color)} seriesKey={color} data={[xs, values]} width={96} height={26} />
    </span>
  );
}
