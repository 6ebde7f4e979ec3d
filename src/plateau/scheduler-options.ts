// Options of the plateau scheduler: Keras's defaults in one place, validated once at the edge
// and compiled into a fully-defaulted ResolvedPlateauOptions the scheduler trusts.
import type { PlateauBase, PlateauMode, TrialConfig } from '../trial/types.js';

/** What a user writes; every field optional, camelCase names of Keras's ReduceLROnPlateau arguments. */
export interface PlateauSchedulerOptions {
  readonly monitor?: string;
  readonly factor?: number;
  readonly patience?: number;
  readonly mode?: PlateauMode;
  readonly minDelta?: number;
  readonly cooldown?: number;
  readonly minLr?: number;
}

/** The direction an improvement goes, decided once from mode and monitor. */
export type PlateauDirection = 'min' | 'max';

export interface ResolvedPlateauOptions {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: PlateauMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  /** 'min' or 'max'; 'auto' resolves to 'max' iff the monitor name contains 'acc' (as Keras). */
  readonly direction: PlateauDirection;
}

/** Keras's defaults (keras/src/callbacks/reduce_lr_on_plateau.py, `__init__` signature). */
export const PLATEAU_DEFAULTS = {
  monitor: 'val_loss',
  factor: 0.1,
  patience: 10,
  mode: 'auto',
  minDelta: 1e-4,
  cooldown: 0,
  minLr: 0,
} as const satisfies Required<PlateauSchedulerOptions>;

export type PlateauOptionName = keyof PlateauSchedulerOptions;

/** An option that makes no sense; carries which option, what it was, and what was expected. */
export class PlateauOptionsError extends Error {
  override readonly name = 'PlateauOptionsError';
  constructor(
    readonly option: PlateauOptionName,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${option}: ${describe(value)} — ${expected}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return `${typeof value} ${String(value)}`;
}

const MODES: readonly PlateauMode[] = ['auto', 'min', 'max'];

function isPlateauMode(value: unknown): value is PlateauMode {
  return MODES.some((known) => known === value);
}

function finiteNumber(option: PlateauOptionName, value: unknown, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PlateauOptionsError(option, value, expected);
  return value;
}

function nonNegativeInteger(option: PlateauOptionName, value: unknown): number {
  const expected = 'expected a whole number of epochs, 0 or more';
  const n = finiteNumber(option, value, expected);
  if (!Number.isInteger(n) || n < 0) throw new PlateauOptionsError(option, value, expected);
  return n;
}

/** Applies Keras's defaults and refuses nonsense; the only place options are checked. */
export function resolvePlateauOptions(options: PlateauSchedulerOptions = {}): ResolvedPlateauOptions {
  const monitor: unknown = options.monitor ?? PLATEAU_DEFAULTS.monitor;
  if (typeof monitor !== 'string' || monitor.length === 0) {
    throw new PlateauOptionsError('monitor', monitor, 'expected the name of a logged metric, e.g. "val_loss"');
  }

  // Keras refuses only factor >= 1; a factor <= 0 would zero or negate the LR, so we refuse it too.
  const factorExpected = 'a decay factor must be in (0, 1)';
  const factor = finiteNumber('factor', options.factor ?? PLATEAU_DEFAULTS.factor, factorExpected);
  if (!(factor > 0 && factor < 1)) throw new PlateauOptionsError('factor', factor, factorExpected);

  const patience = nonNegativeInteger('patience', options.patience ?? PLATEAU_DEFAULTS.patience);
  const cooldown = nonNegativeInteger('cooldown', options.cooldown ?? PLATEAU_DEFAULTS.cooldown);

  // Keras accepts a negative min_delta, which makes a worse value count as an improvement.
  const minDeltaExpected = 'expected a finite threshold, 0 or more';
  const minDelta = finiteNumber('minDelta', options.minDelta ?? PLATEAU_DEFAULTS.minDelta, minDeltaExpected);
  if (minDelta < 0) throw new PlateauOptionsError('minDelta', minDelta, minDeltaExpected);

  const minLrExpected = 'expected a finite learning-rate floor, 0 or more';
  const minLr = finiteNumber('minLr', options.minLr ?? PLATEAU_DEFAULTS.minLr, minLrExpected);
  if (minLr < 0) throw new PlateauOptionsError('minLr', minLr, minLrExpected);

  // Keras warns about an unknown mode and falls back to 'auto' (`_reset`); a typo there silently
  // flips the direction, so we refuse instead.
  const mode: unknown = options.mode ?? PLATEAU_DEFAULTS.mode;
  if (!isPlateauMode(mode)) {
    throw new PlateauOptionsError('mode', mode, `expected one of ${MODES.map((m) => `"${m}"`).join(', ')}`);
  }

  return { monitor, factor, patience, mode, minDelta, cooldown, minLr, direction: plateauDirection(mode, monitor) };
}

/** Keras `_reset`: min unless mode is 'max', or 'auto' with 'acc' anywhere in the monitor name. */
export function plateauDirection(mode: PlateauMode, monitor: string): PlateauDirection {
  if (mode === 'min') return 'min';
  if (mode === 'max') return 'max';
  return monitor.includes('acc') ? 'max' : 'min';
}

/** A trial's schedule: the sweep's monitor and mode with the grid point's knobs. */
export function trialSchedulerOptions(plateau: PlateauBase, config: TrialConfig): Required<PlateauSchedulerOptions> {
  return {
    monitor: plateau.monitor,
    mode: plateau.mode,
    factor: config.factor,
    patience: config.patience,
    minDelta: config.minDelta,
    cooldown: config.cooldown,
    minLr: config.minLr,
  };
}
