// Human-readable lines for one trial trained in the foreground (`plateau train`). Pure.
import { pythonFloatRepr } from '../plateau/python-float-repr.js';
import type { EpochRecord, TrialResult, TrialSpec } from '../trial/types.js';

/** Six significant digits; lr values read as written (float32 0.01 prints as 0.01). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(Number(value.toPrecision(6)));
}

/** `Epoch 3/30 - loss: 0.123 - val_loss: 0.145 - lr: 0.001 - 0.42s`, metrics in record order. */
export function formatEpochLine(record: EpochRecord, epochs: number, seconds: number): string {
  const metrics = Object.entries(record)
    .filter(([key]) => key !== 'epoch')
    .map(([key, value]) => `${key}: ${formatNumber(value)}`);
  return [`Epoch ${record.epoch}/${epochs}`, ...metrics, `${seconds.toFixed(2)}s`].join(' - ');
}

/** The trial's knobs in one line: which grid point this is. */
export function formatTrialHeader(spec: TrialSpec, index: number, count: number): string {
  const { learningRate, factor, patience, minDelta, cooldown, minLr, batchSize } = spec.config;
  return (
    `Trial index ${index} of 0..${count - 1} (${spec.id}): learningRate=${pythonFloatRepr(learningRate)} factor=${pythonFloatRepr(factor)} ` +
    `patience=${patience} minDelta=${pythonFloatRepr(minDelta)} cooldown=${cooldown} minLr=${pythonFloatRepr(minLr)} ` +
    `batchSize=${batchSize} epochs=${spec.workload.epochs} optimizer=${spec.workload.optimizer} seed=${spec.seed}`
  );
}

function outcomeText(result: TrialResult): string {
  const outcome = result.outcome;
  switch (outcome.status) {
    case 'succeeded':
    case 'pruned':
      return outcome.status;
    case 'diverged':
      return `diverged at epoch ${outcome.atEpoch} (loss became NaN or infinite)`;
    case 'cancelled':
      return `cancelled (${outcome.reason})`;
    case 'failed':
      return `failed — ${outcome.error.kind}: ${outcome.error.message}`;
  }
}

/** The summary printed after the last epoch. */
export function formatTrialSummary(result: TrialResult, spec: TrialSpec): string[] {
  const { metric, goal, use } = spec.objective;
  const last = result.history[result.history.length - 1];
  const lines = [
    `Outcome: ${outcomeText(result)}`,
    `Epochs trained: ${result.history.length} of ${spec.workload.epochs}`,
  ];
  if (last !== undefined) {
    lines.push(`Final: loss ${formatNumber(last.loss)}, val_loss ${formatNumber(last.val_loss)}, lr ${formatNumber(last.lr)}`);
  }
  lines.push(
    `LR reductions after epoch(s): ${result.lrReductions.length === 0 ? 'none' : result.lrReductions.join(', ')}`,
    `Objective (${use} ${metric}, ${goal}): ${result.objective === null ? 'none' : formatNumber(result.objective)}`,
    `Backend ${result.backend}, seed ${result.seed}, ${result.wallSeconds.toFixed(1)}s`,
  );
  return lines;
}
