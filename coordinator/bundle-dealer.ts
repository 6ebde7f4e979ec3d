// Which queued trials of a sweep the slot asking now trains as its fused bundle, when several
// slots are idle. Pure and deterministic: the coordinator's leaseBundle feeds it a bounded
// look-ahead of the queue and leases what it returns.
//
// What it keeps together: trials that will share a prefix. In a fused bundle, members that
// have trained at the same float32 rates so far are one physical member
// (src/train/fused/member-slots.ts), so trials of one seed and one initial learning rate cost
// one member-epoch per epoch until their schedules part. Dealt to different slots they would
// each train that prefix again. So the unit of dealing is a prefix group (same fusion key,
// same initial rate), split along patience only when that lowers the estimated critical path
// (more groups than slots usually means it does not; one rate over two slots means it does).

import type { TrialConfig } from '../src/trial/types.js';

/** A queued trial the dealer may hand out, with what its cost estimate needs. */
export interface DealCandidate {
  /** The caller's id for the trial (the coordinator's trial key). */
  readonly id: string;
  /** Trials with equal keys may share a bundle (src/train/fused/fusion-key.ts). */
  readonly fusionKey: string;
  readonly config: TrialConfig;
  readonly epochs: number;
}

export interface DealRequest {
  /** The trial already leased to the asking slot: its bundle is built around it. */
  readonly first: DealCandidate;
  /** Other queued trials of the sweep, in queue order (a bounded look-ahead; any fusion key). */
  readonly queued: readonly DealCandidate[];
  /** Slots that could take work now, the asking one included (at least 1). */
  readonly idleSlots: number;
  /** The most trials in one bundle, `first` included. */
  readonly maxBundle: number;
}

/**
 * Share of a group's epochs trained after its schedules part, for the sweep's lowest and
 * highest initial rates; rates between are placed on a log scale. The cost of a group has to
 * be known before it trains, and the one thing known is this: within one sweep, the higher the
 * rate, the sooner the monitored loss stops improving, so the sooner its members reduce and
 * part, and the more physical members the group trains. On the 27-config benchmark the groups
 * at 0.001, 0.003 and 0.01 measured 30, 72 and 123 member-epochs (parted shares 0, 0.18, 0.39
 * of 30 epochs × 9 schedules); the estimate (54, 100, 150) keeps their order and rough ratios.
 */
const PARTED_SHARE_LOWEST_RATE = 0.1;
const PARTED_SHARE_HIGHEST_RATE = 0.5;

/** The learning rate the optimizer really uses: members group by it. */
function rateOf(config: TrialConfig): number {
  return Math.fround(config.learningRate);
}

/** The part of a config that decides its schedule once the rate is fixed. */
function scheduleOf(config: TrialConfig): string {
  return `${config.patience}/${config.factor}/${config.minDelta}/${config.cooldown}/${config.minLr}`;
}

interface Ranked {
  readonly candidate: DealCandidate;
  /** 0 for `first`, then 1… in queue order. */
  readonly position: number;
}

/** The members of a prefix group with one patience, and how many distinct schedules they hold. */
interface PatienceBucket {
  readonly patience: number;
  readonly members: readonly Ranked[];
  readonly schedules: number;
}

/** Trials of one fusion key and one initial rate (or a patience slice of them). */
interface Piece {
  readonly rate: number;
  readonly epochs: number;
  /** In ascending patience. */
  readonly buckets: readonly PatienceBucket[];
  readonly cost: number;
  /** Queue position of its earliest member: the tie-breaker that keeps dealing deterministic. */
  readonly position: number;
}

/** Estimates physical member-epochs of trials sharing a prefix; see PARTED_SHARE_*. */
export class PrefixCostModel {
  private readonly lowLog: number;
  private readonly highLog: number;

  /** `rates`: the initial learning rates present in the sweep's look-ahead. */
  constructor(rates: readonly number[]) {
    let low = Infinity;
    let high = -Infinity;
    for (const rate of rates) {
      if (!(rate > 0)) continue;
      low = Math.min(low, Math.log(rate));
      high = Math.max(high, Math.log(rate));
    }
    this.lowLog = Number.isFinite(low) ? low : 0;
    this.highLog = Number.isFinite(high) ? high : 0;
  }

  /** Share of the epochs a group at `rate` trains after its schedules part, in [LOWEST, HIGHEST]. */
  partedShare(rate: number): number {
    const span = this.highLog - this.lowLog;
    const at = span > 0 && rate > 0 ? Math.min(1, Math.max(0, (Math.log(rate) - this.lowLog) / span)) : 0.5;
    return PARTED_SHARE_LOWEST_RATE + at * (PARTED_SHARE_HIGHEST_RATE - PARTED_SHARE_LOWEST_RATE);
  }

  /**
   * Member-epochs of trials that start at one rate from one seed and hold `schedules` distinct
   * schedules: one physical member until the schedules part, then one per schedule. So between
   * 1 and n members per epoch.
   */
  cost(rate: number, schedules: number, epochs: number): number {
    return schedules === 0 ? 0 : epochs * (1 + (schedules - 1) * this.partedShare(rate));
  }

  /** The cost of these configs, taken to share one rate (the first's). */
  groupCost(configs: readonly TrialConfig[], epochs: number): number {
    const [head] = configs;
    return head === undefined ? 0 : this.cost(rateOf(head), new Set(configs.map(scheduleOf)).size, epochs);
  }
}

function piece(rate: number, epochs: number, buckets: readonly PatienceBucket[], model: PrefixCostModel): Piece {
  let schedules = 0;
  let position = Infinity;
  for (const bucket of buckets) {
    schedules += bucket.schedules;
    for (const member of bucket.members) position = Math.min(position, member.position);
  }
  return { rate, epochs, buckets, cost: model.cost(rate, schedules, epochs), position };
}

/** Prefix groups of trials that share a fusion key, each in patience buckets. */
function prefixGroups(trials: readonly Ranked[], model: PrefixCostModel): Piece[] {
  const byRate = new Map<number, Map<number, { members: Ranked[]; schedules: Set<string> }>>();
  let epochs = 0;
  for (const trial of trials) {
    const { config } = trial.candidate;
    epochs = Math.max(epochs, trial.candidate.epochs);
    const rate = rateOf(config);
    let byPatience = byRate.get(rate);
    if (byPatience === undefined) {
      byPatience = new Map();
      byRate.set(rate, byPatience);
    }
    let bucket = byPatience.get(config.patience);
    if (bucket === undefined) {
      bucket = { members: [], schedules: new Set() };
      byPatience.set(config.patience, bucket);
    }
    bucket.members.push(trial);
    bucket.schedules.add(scheduleOf(config));
  }
  return [...byRate].map(([rate, byPatience]) =>
    piece(
      rate,
      epochs,
      [...byPatience].sort(([a], [b]) => a - b).map(([patience, bucket]) => ({ patience, members: bucket.members, schedules: bucket.schedules.size })),
      model,
    ),
  );
}

interface Partition {
  readonly parts: readonly (readonly Piece[])[];
  readonly loads: readonly number[];
  readonly criticalPath: number;
}

/** Longest piece first onto the least-loaded part; ties go to the earlier piece and the lower part. */
function longestFirst(pieces: readonly Piece[], partCount: number): Partition {
  const order = [...pieces].sort((a, b) => b.cost - a.cost || a.position - b.position);
  const parts: Piece[][] = Array.from({ length: partCount }, () => []);
  const loads = Array.from({ length: partCount }, () => 0);
  for (const next of order) {
    let target = 0;
    for (let index = 1; index < partCount; index++) if ((loads[index] ?? 0) < (loads[target] ?? 0)) target = index;
    parts[target]?.push(next);
    loads[target] = (loads[target] ?? 0) + next.cost;
  }
  return { parts, loads, criticalPath: Math.max(0, ...loads) };
}

/**
 * The piece cut in two along patience (lower patiences in the first half) so that the dearer
 * half is cheapest; ties go to the lowest cut, which parts the small patiences off: they reduce
 * first, so they share the least with the rest. Undefined when the piece has one patience.
 */
function splitAlongPatience(whole: Piece, model: PrefixCostModel): readonly [Piece, Piece] | undefined {
  const { rate, epochs, buckets } = whole;
  const total = buckets.reduce((sum, bucket) => sum + bucket.schedules, 0);
  let bestCut = 0;
  let bestCost = Infinity;
  let below = 0;
  for (let cut = 1; cut < buckets.length; cut++) {
    below += buckets[cut - 1]?.schedules ?? 0;
    // Distinct patiences hold distinct schedules, so the halves' schedules add up.
    const dearer = Math.max(model.cost(rate, below, epochs), model.cost(rate, total - below, epochs));
    if (dearer < bestCost) {
      bestCost = dearer;
      bestCut = cut;
    }
  }
  if (bestCut === 0) return undefined;
  return [piece(rate, epochs, buckets.slice(0, bestCut), model), piece(rate, epochs, buckets.slice(bestCut), model)];
}

/**
 * Parts for `partCount` slots: whole prefix groups dealt longest first, then, while the
 * critical part is a single piece that spans several patiences, that piece split along
 * patience — kept only when it lowers the estimated critical path (the split trains the
 * shared prefix twice).
 */
function partitionPrefixGroups(pieces: readonly Piece[], partCount: number, model: PrefixCostModel): Partition {
  let current = pieces;
  let best = longestFirst(current, partCount);
  for (;;) {
    const critical = best.loads.indexOf(best.criticalPath);
    const [only, ...rest] = best.parts[critical] ?? [];
    if (only === undefined || rest.length > 0) return best;
    const halves = splitAlongPatience(only, model);
    if (halves === undefined) return best;
    const next = [...current.filter((candidate) => candidate !== only), ...halves];
    const tried = longestFirst(next, partCount);
    if (tried.criticalPath >= best.criticalPath) return best;
    current = next;
    best = tried;
  }
}

/**
 * How many of the idle slots this fusion key's trials should spread over: its share of the
 * estimated work in the look-ahead. Other keys (other seeds, other batch sizes) are separate
 * prefix trees that other slots can take whole, which costs nothing extra; splitting a key does.
 */
function slotsForKey(ownCost: number, otherCost: number, idleSlots: number): number {
  const total = ownCost + otherCost;
  if (total <= 0) return 1;
  return Math.min(idleSlots, Math.max(1, Math.round((idleSlots * ownCost) / total)));
}

const members = (pieces: readonly Piece[]): Ranked[] => pieces.flatMap((next) => next.buckets.flatMap((bucket) => bucket.members));
const totalCost = (pieces: readonly Piece[]): number => pieces.reduce((total, next) => total + next.cost, 0);

/**
 * The trials to lease with `first` to the slot asking now, in training order (first's rate,
 * then by rate and patience, then queue order), at most maxBundle − 1 of them.
 */
export function dealBundle(request: DealRequest): readonly DealCandidate[] {
  const { first, queued } = request;
  const limit = Math.max(0, Math.floor(request.maxBundle) - 1);
  if (limit === 0) return [];
  const idleSlots = Math.max(1, Math.floor(request.idleSlots));
  const own: Ranked[] = [{ candidate: first, position: 0 }];
  const others = new Map<string, Ranked[]>();
  for (const [index, candidate] of queued.entries()) {
    const ranked = { candidate, position: index + 1 };
    if (candidate.fusionKey === first.fusionKey) own.push(ranked);
    else if (idleSlots > 1) {
      const group = others.get(candidate.fusionKey);
      if (group === undefined) others.set(candidate.fusionKey, [ranked]);
      else group.push(ranked);
    }
  }
  let mine = own;
  // A lone idle slot takes all it may: nothing to balance.
  if (idleSlots > 1) {
    const model = new PrefixCostModel([...own, ...[...others.values()].flat()].map((trial) => rateOf(trial.candidate.config)));
    const groups = prefixGroups(own, model);
    const otherCost = [...others.values()].reduce((total, trials) => total + totalCost(prefixGroups(trials, model)), 0);
    const { parts } = partitionPrefixGroups(groups, slotsForKey(totalCost(groups), otherCost, idleSlots), model);
    // A piece's position is its earliest member's: the piece at 0 holds `first`.
    mine = members(parts.find((part) => part.some((next) => next.position === 0)) ?? []);
  }
  const firstRate = rateOf(first.config);
  return mine
    .filter((member) => member.position !== 0)
    .map((member) => ({ member, rate: rateOf(member.candidate.config) }))
    .sort(
      (a, b) =>
        Number(b.rate === firstRate) - Number(a.rate === firstRate) ||
        a.rate - b.rate ||
        a.member.candidate.config.patience - b.member.candidate.config.patience ||
        a.member.position - b.member.position,
    )
    .slice(0, limit)
    .map(({ member }) => member.candidate);
}

/**
 * How `trials` (one fusion key, queue order) would be spread over `slots` slots that all ask
 * at once, with each part's estimated cost: what dealBundle does one poll at a time, whole.
 */
export function planParts(trials: readonly DealCandidate[], slots: number): readonly { readonly trials: readonly DealCandidate[]; readonly estimatedCost: number }[] {
  const ranked = trials.map((candidate, position) => ({ candidate, position }));
  const model = new PrefixCostModel(ranked.map((trial) => rateOf(trial.candidate.config)));
  const { parts, loads } = partitionPrefixGroups(prefixGroups(ranked, model), Math.max(1, Math.floor(slots)), model);
  return parts.map((part, index) => ({
    trials: members(part)
      .sort((a, b) => a.position - b.position)
      .map((member) => member.candidate),
    estimatedCost: loads[index] ?? 0,
  }));
}
