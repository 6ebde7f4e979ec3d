// results.csv: one row per trial, for spreadsheets and pandas. RFC 4180: CRLF line ends,
// fields with a comma, quote or line break quoted, quotes doubled.
import type { ResultsDocument, ResultsTrial } from './results-document.js';

export const RESULTS_CSV_COLUMNS = [
  'id',
  'learningRate',
  'factor',
  'patience',
  'minDelta',
  'cooldown',
  'minLr',
  'batchSize',
  'repeat',
  'seed',
  'status',
  'attempts',
  'epochs',
  'lrReductions',
  'final_val_loss',
  'objective',
  'wallSeconds',
  'rank',
  'agent',
  'error',
  /** Stopped early: `<rule> at epoch <e>: <value> vs <threshold>`; empty otherwise. Last, so older columns keep their place. */
  'stop',
] as const;

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Empty for "no value"; NaN/inf/-inf spelled the way pandas and numpy read them. */
function csvNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function trialRow(trial: ResultsTrial, rankOf: ReadonlyMap<string, number>): string[] {
  const { config } = trial;
  const last = trial.history[trial.history.length - 1];
  return [
    trial.id,
    csvNumber(config.learningRate),
    csvNumber(config.factor),
    csvNumber(config.patience),
    csvNumber(config.minDelta),
    csvNumber(config.cooldown),
    csvNumber(config.minLr),
    csvNumber(config.batchSize),
    csvNumber(trial.repeat),
    csvNumber(trial.seed),
    trial.status,
    csvNumber(trial.attempts),
    csvNumber(trial.history.length),
    csvNumber(trial.lrReductions.length),
    csvNumber(last?.val_loss),
    csvNumber(trial.objective),
    csvNumber(trial.wallSeconds),
    csvNumber(rankOf.get(trial.id)),
    trial.agent ?? '',
    trial.error === undefined ? '' : `${trial.error.kind}: ${trial.error.message}`,
    trial.stop === undefined ? '' : `${trial.stop.rule} at epoch ${trial.stop.epoch}: ${csvNumber(trial.stop.value)} vs ${csvNumber(trial.stop.threshold)}`,
  ];
}

/** The CSV text: a header row, then one row per trial in document order. */
export function resultsCsv(doc: ResultsDocument): string {
  const rankOf = new Map<string, number>();
  for (const entry of doc.ranking) for (const id of entry.trialIds) rankOf.set(id, entry.rank);
  const rows = [[...RESULTS_CSV_COLUMNS], ...doc.trials.map((trial) => trialRow(trial, rankOf))];
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
