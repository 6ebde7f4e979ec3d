// The report's stylesheet: a calm, readable page that prints well.
export const PAGE_STYLE = `
:root {
  --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --panel: #ffffff; --page: #f6f7f9;
  --accent: #2563eb; --good: #047857; --good-bg: #ecfdf5; --bad: #b91c1c; --bad-bg: #fef2f2;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--page); line-height: 1.5; font-size: 15px;
}
* { box-sizing: border-box; }
body { margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 28px 56px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
h1 { font-size: 30px; margin: 2px 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 0; }
.eyebrow { margin: 0; color: var(--accent); font-weight: 600; font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; }
.facts { margin: 0; color: var(--muted); }
.facts .sep { margin: 0 8px; color: #c0c5cc; }
.state { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 13px; font-weight: 600; background: #eef2ff; color: #3730a3; }
.state-finished { background: var(--good-bg); color: var(--good); }
.state-cancelled { background: var(--bad-bg); color: var(--bad); }
.page-header { margin-bottom: 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 14px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card-label { color: var(--muted); font-size: 13px; }
.card-value { font-size: 24px; font-weight: 650; margin: 2px 0; }
.card-detail { color: var(--muted); font-size: 13px; }
.callouts { list-style: none; padding: 0; margin: 0 0 16px; }
.callouts li { background: #fffbeb; border: 1px solid #fde68a; color: #78350f; border-radius: 8px; padding: 8px 12px; margin-bottom: 8px; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 20px 22px; margin-top: 18px; }
section.panel > p.lead { margin: 0 0 14px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
table.ranking { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.ranking th, table.ranking td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
table.ranking .num { text-align: right; }
table.ranking thead th { position: sticky; top: 0; background: #f9fafb; }
table.ranking thead button { all: unset; cursor: pointer; font-weight: 600; font-size: 13px; color: #374151; }
table.ranking thead button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
table.ranking thead th[aria-sort="ascending"] button::after { content: " ▲"; color: var(--accent); }
table.ranking thead th[aria-sort="descending"] button::after { content: " ▼"; color: var(--accent); }
table.ranking tbody tr:hover { background: #f3f4f6; }
table.ranking tr.best { background: var(--good-bg); font-weight: 600; }
table.ranking tr.best td:first-child { box-shadow: inset 3px 0 0 var(--good); }
table.ranking tr.bad { color: var(--bad); background: var(--bad-bg); }
table.ranking tr.stopped { color: var(--muted); }
.badge { display: inline-block; border-radius: 999px; padding: 1px 8px; font-size: 12px; font-weight: 600; }
.badge-stopped { background: #fff7ed; color: #9a3412; border: 1px solid #fed7aa; }
.hint, .empty { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 18px; }
.heatmap-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 18px; }
figure.chart { margin: 0; min-width: 0; }
figure.chart figcaption { display: flex; justify-content: space-between; align-items: flex-start; gap: 12px; margin-bottom: 4px; }
figure.chart figcaption p { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
.toggle { font-size: 13px; color: #374151; white-space: nowrap; cursor: pointer; user-select: none; }
.chart-canvas { width: 100%; }
.no-charts .chart-canvas::before { content: "Charts need JavaScript."; color: var(--muted); }
.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 10px; margin: 0 0 18px; }
.config div { background: #f8fafc; border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; }
.config dt { color: var(--muted); font-size: 12px; }
.config dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.config div:first-child { background: var(--good-bg); border-color: #a7f3d0; grid-column: span 2; }
.snippets { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; min-width: 0; }
.snippet { min-width: 0; }
.snippet-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: 6px; }
.snippet pre { margin: 0; background: #0f172a; color: #e2e8f0; border-radius: 8px; padding: 14px 16px; overflow-x: auto; line-height: 1.45; }
button.copy { font: inherit; font-size: 13px; padding: 3px 12px; border-radius: 6px; border: 1px solid #cbd5e1; background: #fff; cursor: pointer; }
button.copy:hover { background: #f1f5f9; }
button.copy.done { border-color: var(--good); color: var(--good); }
table.kv { border-collapse: collapse; font-size: 14px; }
table.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: 4px 18px 4px 0; vertical-align: top; }
table.kv td { padding: 4px 0; font-variant-numeric: tabular-nums; word-break: break-word; }
details { margin-top: 14px; }
details summary { cursor: pointer; color: var(--accent); }
details pre { background: #f8fafc; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow-x: auto; }
.sweep-error { background: var(--bad-bg); border: 1px solid #fecaca; border-left: 5px solid var(--bad); border-radius: 10px; padding: 14px 18px; margin-bottom: 16px; color: var(--bad); }
.sweep-error h2 { margin: 0 0 6px; }
.sweep-error p { margin: 4px 0; color: var(--ink); word-break: break-word; }
.sweep-error .detail { color: var(--muted); font-size: 13px; }
.state-failed { background: var(--bad-bg); color: var(--bad); }
table.failures td.message { white-space: normal; word-break: break-word; }
footer { color: var(--muted); font-size: 13px; text-align: center; margin-top: 28px; }
@media (max-width: 760px) { .snippets { grid-template-columns: 1fr; } .chart-grid { grid-template-columns: 1fr; } main { padding: 16px; } }
@media print { :root { background: #fff; } section.panel { break-inside: avoid; border: none; padding: 0; } }
`;
