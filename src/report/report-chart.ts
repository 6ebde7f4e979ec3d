// One chart of the report: an echarts option (plain data, so it travels as JSON inside the
// page) plus what the page needs around it. The page script only initialises these.
import type { EChartsOption } from 'echarts';

export interface ReportChart {
  /** The chart element's id in the page; stable across renders. */
  readonly id: string;
  readonly title: string;
  /** One line under the title saying how to read the chart. */
  readonly caption: string;
  /** Pixels. */
  readonly height: number;
  readonly option: EChartsOption;
  /** Show a "log scale" checkbox that switches the y axis; its initial state is the option's. */
  readonly logToggle?: boolean;
  /** Axis tooltips list only the best few values at the hovered x (crowded line charts). */
  readonly compactAxisTooltip?: boolean;
}

/** Shared look: readable fonts, no animation on load (a report is read, not watched). */
export const BASE_OPTION = {
  animation: false,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', fontSize: 12 },
} as const satisfies EChartsOption;
