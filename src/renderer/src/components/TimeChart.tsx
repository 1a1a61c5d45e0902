import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

interface Props {
  /** epoch seconds */
  xs: number[];
  series: ChartSeries[];
  height?: number;
  /** fixed y range, e.g. [0, 100] for percentages; default: auto from 0 */
  yRange?: [number, number];
  unit?: string;
  testId?: string;
}

/**
 * A small time-series chart (uPlot, canvas). The plot is created once per series layout; new samples
 * only call `setData`, so a 1 Hz stream costs one redraw per second.
 */
export function TimeChart({ xs, series, height = 120, yRange, unit = '', testId }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const layout = series.map((s) => `${s.label}|${s.color}`).join(',') + `|${yRange?.join('-') ?? ''}|${unit}`;

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#8b95a3', grid: { stroke: '#2a3039', width: 1 }, ticks: { stroke: '#2a3039' } },
        { stroke: '#8b95a3', grid: { stroke: '#2a3039', width: 1 }, ticks: { stroke: '#2a3039' }, size: 50, values: (_u, ticks) => ticks.map((t) => `${t}${unit}`) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}22`, points: { show: false } }))],
    };
    const chart = new uPlot(opts, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // the plot is rebuilt only when the series layout changes; data flows through the effect below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [layout, height]);

  useEffect(() => {
    plot.current?.setData([xs, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [xs, series]);

  return <div ref={holder} className="chart" data-testid={testId} />;
}
