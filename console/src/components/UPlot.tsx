// A uPlot chart as a component: built once per set of series, fed new data on every render.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

interface Props {
  /** Options without width and height; a new `seriesKey` rebuilds the chart (new series). */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  seriesKey: string;
  data: uPlot.AlignedData;
  height: number;
  /** Fixed width; else the container's width, followed as it resizes. */
  width?: number;
  class?: string;
}

export function UPlot({ options, seriesKey, data, height, width, class: className }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const plot = new uPlot({ ...options, width: width ?? el.clientWidth, height }, data, el);
    chart.current = plot;
    const resize = width ? undefined : new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize?.observe(el);
    return () => {
      resize?.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // Rebuilt only when the series change; data updates go through setData below.
  }, [seriesKey, height, width]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return <div ref={box} class={className} />;
}
