import { useEffect, useRef } from "react";
import uPlot from "uplot";

interface Props {
  /** Everything but the size, which follows the container's width. Memoise it: a new object rebuilds the chart. */
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height: number;
  testId?: string;
}

/** A uPlot chart that fills its container's width and takes new data without being rebuilt. */
export function UplotChart({ options, data, height, testId }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot({ ...options, width: Math.max(200, element.clientWidth), height }, latest.current, element);
    plot.current = chart;
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, element.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div className="chart" ref={container} data-testid={testId} />;
}

/** Colours the canvas needs as values: read from the theme's CSS variables. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** Axes in the theme's colours; `unit` labels the y axis. */
export function themedAxes(unit: string, format?: (value: number) => string): uPlot.Axis[] {
  const stroke = themeColor("--muted", "#888");
  const grid = { stroke: themeColor("--grid", "rgba(128,128,128,0.15)"), width: 1 };
  const ticks = { stroke: grid.stroke, width: 1 };
  return [
    { stroke, grid, ticks },
    {
      stroke,
      grid,
      ticks,
      label: unit,
      labelSize: 18,
      size: 50,
      values: format ? (_u, splits) => splits.map((v) => (v == null ? "" : format(v))) : undefined,
    },
  ];
}
