// Which metric names a compiled tfjs model logs, and a refusal (with a suggestion) for a
// monitor it never will: Keras only warns and the schedule silently never fires.
import type { LossName } from '../trial/types.js';

/** tfjs-layers names metrics by their short form: 'accuracy' → 'acc', 'mse' stays 'mse'. */
const METRIC_LOG_NAME: Readonly<Record<string, string>> = {
  accuracy: 'acc',
  acc: 'acc',
  binaryAccuracy: 'binaryAccuracy',
  categoricalAccuracy: 'categoricalAccuracy',
  meanSquaredError: 'meanSquaredError',
  mse: 'mse',
  meanAbsoluteError: 'meanAbsoluteError',
  mae: 'mae',
};

/** Every key a model compiled with this loss and these metrics puts in epoch logs (with validation data). */
export function loggedMetricNames(loss: LossName, metrics: readonly string[]): readonly string[] {
  void loss; // the loss is always logged as 'loss', whatever its name
  const names = ['loss'];
  for (const metric of metrics) names.push(METRIC_LOG_NAME[metric] ?? metric);
  return [...names, ...names.map((name) => `val_${name}`)];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** Common spellings people write for what Keras calls val_loss / loss / acc. */
const ALIASES: Readonly<Record<string, string>> = {
  validation_loss: 'val_loss',
  valid_loss: 'val_loss',
  vali_loss: 'val_loss',
  validationloss: 'val_loss',
  val_accuracy: 'val_acc',
  validation_accuracy: 'val_acc',
  accuracy: 'acc',
  train_loss: 'loss',
  training_loss: 'loss',
};

/** The closest logged name to `wanted`, or undefined when nothing is plausibly meant. */
export function suggestMetric(wanted: string, logged: readonly string[]): string | undefined {
  const alias = ALIASES[wanted.toLowerCase()];
  if (alias !== undefined && logged.includes(alias)) return alias;
  let best: { name: string; distance: number } | undefined;
  for (const name of logged) {
    const distance = editDistance(wanted.toLowerCase(), name.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.name : undefined;
}

export class UnknownMonitorError extends Error {
  override readonly name = 'UnknownMonitorError';
  constructor(
    readonly monitor: string,
    readonly logged: readonly string[],
    readonly suggestion: string | undefined,
  ) {
    super(
      `"${monitor}" is not a metric this model logs` +
        (suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`) +
        ` (it logs: ${logged.join(', ')})`,
    );
  }
}

/** Throws UnknownMonitorError unless `monitor` is among `logged`. */
export function assertMonitorLogged(monitor: string, logged: readonly string[]): void {
  if (!logged.includes(monitor)) throw new UnknownMonitorError(monitor, logged, suggestMetric(monitor, logged));
}
