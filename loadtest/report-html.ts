import { reportCharts } from './report-charts.js';
import { exitCodeOf, type LoadResult } from './result.js';
import { describeRun } from './summary-table.js';
import { escapeXml as esc } from './svg-charts.js';
import type { LatencyStats } from './stats.js';

const row = (cells: (string | number)[], header = false) => `<tr>${cells.map((cell) => (header ? `<th>${esc(String(cell))}</th>` : `<td>${esc(String(cell))}</td>`)).join('')}</tr>`;
const latencyRow = (label: string, s: LatencyStats) => row([label, s.count, s.meanMs.toFixed(1), s.stdDevMs.toFixed(1), s.p50Ms.toFixed(1), s.p90Ms.toFixed(1), s.p99Ms.toFixed(1), s.maxMs.toFixed(1)]);
const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** A self-contained HTML report: tables and inline SVG charts, no script, no network. */
export function renderHtmlReport(result: LoadResult): string {
  const b = result.bookings;
  const passed = exitCodeOf(result) === 0;
  const problems = [...result.settle.problems, ...result.verification.problems];
  const outcomes = [['confirmed', b.confirmed] as const, ...Object.entries(b.failedByReason)];
  const charts = reportCharts(result)
    .map((chart) => `<figure>${chart.svg}<figcaption>${esc(chart.title)}</figcaption></figure>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Boxoffice load test ${esc(result.runId)} — ${esc(result.scenario ?? 'custom')}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 820px; color: #222; }
  table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
  th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .ok { color: #2e7d32; } .bad { color: #c62828; }
  figure { margin: 1rem 0; } figcaption { color: #666; font-size: 0.85rem; }
  code { background: #f4f4f4; padding: 0 0.2rem; }
</style>
</head>
<body>
<h1>Boxoffice load test <code>${esc(result.runId)}</code></h1>
<p>${esc(describeRun(result))}. Started ${esc(result.startedAt)} against <code>${esc(result.options.baseUrl)}</code>; load ${seconds(result.loadMs)}, setup ${seconds(result.setupMs)}, settle ${seconds(result.settle.tookMs)}.</p>
<h2 class="${passed ? 'ok' : 'bad'}">Invariants: ${passed ? 'all hold' : 'FAILED'}</h2>
${problems.length ? `<ul>${problems.slice(0, 50).map((problem) => `<li>${esc(problem)}</li>`).join('')}</ul>` : `<p>No violation over ${result.events.length} event(s) (settled, read model equal to the booking schema), no workflow of theirs running, Postgres sells exactly the seats the run was told it bought.</p>`}
<h2>Summary</h2>
<table>
${row(['Figure', 'Value'], true)}
${row(['Booking attempts', b.requests])}
${row(['Confirmed', `${b.confirmed} (${b.requests ? ((b.confirmed / b.requests) * 100).toFixed(1) : 0}%)`])}
${row(['Confirmed bookings / s', b.confirmedPerSecond])}
${row(['Seats / s', b.seatsPerSecond])}
${row(['Requests / s', b.requestsPerSecond])}
${row(['Answered 202, followed up', b.answeredPending])}
${row(['Seats sold / capacity', `${result.sellOut.sold} / ${result.sellOut.capacity}`])}
${row(['Sold out after', seconds(result.sellOut.soldOutAtMs)])}
${row(['Cancellations', result.cancels.count])}
${row(['Arrivals dropped (open mode)', result.droppedArrivals])}
${row(['API max RSS', result.apiMemory.maxRssBytes !== undefined ? `${(result.apiMemory.maxRssBytes / 1048576).toFixed(1)} MiB` : 'not measured'])}
</table>
<h2>Latency (ms)</h2>
<table>
${row(['', 'count', 'mean', 'std dev', 'p50', 'p90', 'p99', 'max'], true)}
${latencyRow('all bookings', b.latency)}
${latencyRow('confirmed', b.confirmedLatency)}
${latencyRow('not confirmed', b.failedLatency)}
${b.refusedWithoutWorkflow.count + b.refusedByWorkflow.count ? `${latencyRow('lost at API', b.refusedWithoutWorkflow)}\n${latencyRow('lost in saga', b.refusedByWorkflow)}` : ''}
${result.cancels.count ? latencyRow('cancel', result.cancels.latency) : ''}
</table>
<h2>Outcomes</h2>
<table>
${row(['Outcome', 'Bookings'], true)}
${outcomes.map(([name, count]) => row([name, count])).join('\n')}
</table>
<table>
${row(['Final HTTP status', 'Bookings'], true)}
${Object.entries(b.byStatus)
  .map(([status, count]) => row([status === '0' ? 'no answer' : status, count]))
  .join('\n')}
</table>
${
  result.shares.length > 1 && result.shares.length <= 20
    ? `<h2>How the customers shared the seats</h2><table>${row(['Customer', 'Seats'], true)}${result.shares.map((share) => row([share.customer, share.seats])).join('')}</table>`
    : ''
}
<h2>Charts</h2>
${charts}
</body>
</html>
`;
}
