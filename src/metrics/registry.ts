// A fresh prom-client registry per process (and per test), with Node's default process
// metrics (CPU, memory, event-loop lag, GC, handles) collected into it at scrape time.
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createMetricsRegistry(options: { readonly defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
