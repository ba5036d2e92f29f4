import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { ReportRowView } from "./bindings/ReportRowView";
import { t } from "./i18n";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

let chart: echarts.ECharts | undefined;

/** Views per post as bars and engagement rate as a line, one group per bar. */
export function drawReport(container: HTMLElement, rows: ReportRowView[]): void {
  chart ??= echarts.init(container, undefined, { renderer: "canvas" });
  chart.setOption(
    {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [t("chartViewsPerPost"), t("chartEngagement")] },
      grid: { left: 60, right: 60, bottom: 40, top: 40 },
      xAxis: { type: "category", data: rows.map((r) => r.key) },
      yAxis: [
        { type: "value", name: t("chartViewsPerPost") },
        { type: "value", name: t("chartEngagement"), axisLabel: { formatter: "{value}%" } },
      ],
      series: [
        {
          name: t("chartViewsPerPost"),
          type: "bar",
          data: rows.map((r) => Math.round(r.views_per_post ?? 0)),
        },
        {
          name: t("chartEngagement"),
          type: "line",
          yAxisIndex: 1,
          data: rows.map((r) => (r.engagement_rate === null ? null : +(r.engagement_rate * 100).toFixed(2))),
        },
      ],
    },
    true,
  );
}
