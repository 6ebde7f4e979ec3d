// Helpers for tests that run a real Prometheus: find the binary, a free loopback port, the
// dashboard's panel queries with Grafana's variables filled in, and the HTTP query API.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found === '' ? null : found;
  } catch {
    return null;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Every Prometheus query of every panel (rows' nested panels included). */
export function dashboardQueries(dashboard: unknown): PanelQuery[] {
  if (!isRecord(dashboard)) throw new Error('the dashboard is not a JSON object');
  const panels = records(dashboard.panels).flatMap((panel) => [panel, ...records(panel.panels)]);
  return panels.flatMap((panel) =>
    records(panel.targets).flatMap((target) =>
      typeof target.expr === 'string' ? [{ panel: String(panel.title), refId: String(target.refId), expr: target.expr }] : [],
    ),
  );
}

/** Grafana's built-in interval variables for a 1 s scrape interval; `${x}` and `$x` forms. */
const builtIns: Readonly<Record<string, string>> = {
  __rate_interval: '5s',
  __interval: '1s',
  __range: '1m',
};

/** Fills Grafana variables in; a variable this does not know stays and fails the query loudly. */
export function substituteVariables(expr: string, variables: Readonly<Record<string, string>>): string {
  const values: Record<string, string> = { ...builtIns, ...variables };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ''] ?? whole);
}

export interface QuerySeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: string;
}

export interface QueryAnswer {
  readonly series: readonly QuerySeries[];
  /** Prometheus's errorType and message, or null. */
  readonly error: string | null;
}

/** GET /api/v1/query at the current time. */
export async function instantQuery(base: string, promql: string): Promise<QueryAnswer> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body: unknown = await response.json();
  if (!isRecord(body)) return { series: [], error: `HTTP ${response.status}: not a JSON object` };
  if (body.status !== 'success') return { series: [], error: `${String(body.errorType)}: ${String(body.error)}` };
  const data = isRecord(body.data) ? body.data : {};
  if (data.resultType === 'scalar') return { series: [{ metric: {}, value: String((data.result as unknown[])[1]) }], error: null };
  const series = records(data.result).map((entry) => ({
    metric: isRecord(entry.metric) ? Object.fromEntries(Object.entries(entry.metric).map(([key, value]) => [key, String(value)])) : {},
    value: Array.isArray(entry.value) ? String(entry.value[1]) : '',
  }));
  return { series, error: null };
}

/** Polls `check` every 500 ms (an external server has no events to wait on) until it holds; throws after timeoutMs. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(500);
  }
}
