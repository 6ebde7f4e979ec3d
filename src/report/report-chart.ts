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
  /**
   * Crowded line charts: the axis tooltip lists these series first (the top configs), then
   * the others by value in this order, and only the first few of all.
   */
  readonly axisTooltip?: { readonly first: readonly string[]; readonly order: 'ascending' | 'descending' };
}

/** Shared look: readable fonts, no animation on load (a report is read, not watched). */
export const BASE_OPTION = {
  animation: false,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', fontSize: 12 },
} as const satisfies EChartsOption;
