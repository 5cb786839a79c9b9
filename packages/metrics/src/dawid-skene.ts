/**
 * Dawid & Skene (1979), "Maximum Likelihood Estimation of Observer Error-Rates Using the EM
 * Algorithm": each rater r has a full confusion matrix π^r[j][l] = P(r says l | truth j), items are
 * independent draws from class priors, and EM alternates class posteriors (E) with priors and
 * confusion matrices (M). A rater may label an item several times (rater 1 in the 1979 data); each
 * label counts as one observation from the same matrix. Works in log space so that many agreeing
 * labels cannot underflow a posterior to 0/0.
 */
import { MetricsError, checkLabel, compareLabels, describe, indexCategories, mixedError, type Label } from './labels.ts';

/** [item, rater, label]. */
export type Response = readonly [item: Label, rater: Label, label: Label];

export interface DawidSkeneOptions {
  readonly classes: readonly Label[];
  /** Starting posteriors: each item's label shares, or its plurality label (ties split evenly). */
  readonly init: 'vote-proportions' | 'majority-vote';
  /** Stop when no prior or error rate moves by more than this; default 1e-9. */
  readonly tolerance?: number;
  readonly maxIterations?: number;
  /** Pseudo-count added to every confusion-matrix cell; default 0 (plain maximum likelihood). */
  readonly smoothing?: number;
}

export interface DawidSkene {
  readonly items: readonly Label[];
  readonly raters: readonly Label[];
  readonly classes: readonly Label[];
  /** Class priors; null without any response. */
  readonly priors: number[] | null;
  /** posteriors[item][j] = P(truth = classes[j] | labels). */
  readonly posteriors: number[][];
  /**
   * errorRates[rater][j][l] = P(rater says classes[l] | truth classes[j]); a row is null when the
   * rater labelled no item with any posterior weight on class j (0/0, nothing to estimate from).
   */
  readonly errorRates: (number[] | null)[][];
  /** Argmax posterior; null when two classes tie (within 1e-12). */
  readonly labels: (Label | null)[];
  /** Log-likelihood of the observed labels at the final estimates (multinomial constants omitted). */
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly converged: boolean;
}

export function dawidSkene(responses: readonly Response[], options: DawidSkeneOptions): DawidSkene {
  const where = 'dawidSkene';
  const { classes, init } = options;
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 1000;
  const smoothing = options.smoothing ?? 0;
  if (init !== 'vote-proportions' && init !== 'majority-vote') {
    throw new MetricsError(`${where}: unknown init ${describe(init)}`);
  }
  if (!(smoothing >= 0)) throw new MetricsError(`${where}: smoothing must be ≥ 0`);
  const classIndex = indexCategories(classes, where);
  const K = classes.length;
  if (K === 0) throw new MetricsError(`${where}: classes is empty`);

  const N = responses.length;
  // Items and raters get provisional indices in order of appearance (one Map lookup each), then
  // are renumbered in label order so the output does not depend on the input order.
  const itemIds = new IdTable(`${where} item ids`);
  const raterIds = new IdTable(`${where} rater ids`);
  const itemOf = new Int32Array(N);
  const raterOf = new Int32Array(N);
  const labelOf = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const response = responses[n]!;
    const item = response[0];
    const rater = response[1];
    const label = response[2];
    const l = classIndex.get(label);
    if (l === undefined) throw new MetricsError(`${where}: label ${describe(label)} is not one of the classes`);
    itemOf[n] = itemIds.id(item);
    raterOf[n] = raterIds.id(rater);
    labelOf[n] = l;
  }
  const { labels: items, remap: itemRemap } = itemIds.sorted();
  const { labels: raters, remap: raterRemap } = raterIds.sorted();
  const I = items.length;
  const R = raters.length;

  // One sort of numeric keys (item, rater, label) groups the responses by item (CSR) and puts each
  // item's labels in a canonical order, so no floating-point sum depends on the input order.
  const keys = new Float64Array(N);
  for (let n = 0; n < N; n++) keys[n] = (itemRemap[itemOf[n]!]! * R + raterRemap[raterOf[n]!]!) * K + labelOf[n]!;
  keys.sort();
  const start = new Int32Array(I + 1);
  const rOf = new Int32Array(N);
  const lOf = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const key = keys[n]!;
    const l = key % K;
    const rest = (key - l) / K;
    const r = rest % R;
    rOf[n] = r;
    lOf[n] = l;
    start[(rest - r) / R + 1]! += 1;
  }
  for (let i = 0; i < I; i++) start[i + 1]! += start[i]!;
  // Offset of each response's row in the [rater][said l][truth j] tables, computed once.
  const offOf = new Int32Array(N);
  for (let n = 0; n < N; n++) offOf[n] = (rOf[n]! * K + lOf[n]!) * K;
  const data: Data = { I, R, K, start, lOf, offOf };

  if (I === 0) {
    return { items, raters, classes, priors: null, posteriors: [], errorRates: [], labels: [], logLikelihood: 0, iterations: 0, converged: true };
  }

  const T = initialPosteriors(data, init);
  const model: Model = {
    priors: new Float64Array(K),
    rates: new Float64Array(R * K * K),
    logRates: new Float64Array(R * K * K),
    logPriors: new Float64Array(K),
    undetermined: new Uint8Array(R * K),
  };
  const previous = new Float64Array(K + R * K * K);
  let logLikelihood = -Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    mStep(data, T, model, smoothing);
    logLikelihood = eStep(data, model, T);
    let change = 0;
    for (let j = 0; j < K; j++) change = Math.max(change, Math.abs(model.priors[j]! - previous[j]!));
    for (let c = 0; c < R * K * K; c++) change = Math.max(change, Math.abs(model.rates[c]! - previous[K + c]!));
    previous.set(model.priors, 0);
    previous.set(model.rates, K);
    if (iterations > 1 && change <= tolerance) {
      converged = true;
      break;
    }
  }
  const { priors, rates, undetermined } = model;

  const posteriors: number[][] = [];
  const labels: (Label | null)[] = [];
  for (let i = 0; i < I; i++) {
    const p = Array.from(T.subarray(i * K, (i + 1) * K));
    posteriors.push(p);
    let best = 0;
    for (let j = 1; j < K; j++) if (p[j]! > p[best]!) best = j;
    const tied = p.some((v, j) => j !== best && p[best]! - v <= 1e-12);
    labels.push(tied ? null : classes[best]!);
  }
  const errorRates = raters.map((_, r) =>
    classes.map((_, j) => (undetermined[r * K + j] ? null : classes.map((_, l) => rates[(r * K + l) * K + j]!))),
  );
  return {
    items,
    raters,
    classes,
    priors: Array.from(priors),
    posteriors,
    errorRates,
    labels,
    logLikelihood,
    iterations,
    converged,
  };
}

interface Data {
  I: number;
  R: number;
  K: number;
  /** Responses of item i are start[i] .. start[i+1]−1. */
  start: Int32Array;
  lOf: Int32Array;
  offOf: Int32Array;
}

interface Model {
  priors: Float64Array;
  /** Stored [rater][said l][truth j], so the inner loops over j are contiguous. */
  rates: Float64Array;
  logRates: Float64Array;
  logPriors: Float64Array;
  undetermined: Uint8Array;
}

function initialPosteriors({ I, K, start, lOf }: Data, init: DawidSkeneOptions['init']): Float64Array {
  const T = new Float64Array(I * K);
  const votes = new Float64Array(K);
  for (let i = 0; i < I; i++) {
    votes.fill(0);
    for (let n = start[i]!; n < start[i + 1]!; n++) votes[lOf[n]!]! += 1;
    if (init === 'majority-vote') {
      let top = 0;
      for (let j = 0; j < K; j++) top = Math.max(top, votes[j]!);
      for (let j = 0; j < K; j++) votes[j] = votes[j] === top ? 1 : 0;
    }
    let total = 0;
    for (let j = 0; j < K; j++) total += votes[j]!;
    for (let j = 0; j < K; j++) T[i * K + j] = votes[j]! / total;
  }
  return T;
}

function mStep({ I, R, K, start, offOf }: Data, T: Float64Array, model: Model, smoothing: number): void {
  const { priors, rates, logRates, logPriors, undetermined } = model;
  priors.fill(0);
  for (let i = 0; i < I; i++) for (let j = 0; j < K; j++) priors[j]! += T[i * K + j]!;
  for (let j = 0; j < K; j++) {
    priors[j]! /= I;
    logPriors[j] = Math.log(priors[j]!);
  }
  rates.fill(smoothing);
  // Class-outer loops keep the accumulators in registers (measurably faster than a row buffer).
  for (let i = 0; i < I; i++) {
    const from = start[i]!;
    const to = start[i + 1]!;
    for (let j = 0; j < K; j++) {
      const w = T[i * K + j]!;
      for (let n = from; n < to; n++) rates[offOf[n]! + j]! += w;
    }
  }
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < K; j++) {
      let total = 0;
      for (let l = 0; l < K; l++) total += rates[(r * K + l) * K + j]!;
      undetermined[r * K + j] = total > 0 ? 0 : 1;
      for (let l = 0; l < K; l++) {
        const cell = (r * K + l) * K + j;
        // A truth this rater never met (total 0) leaves the row undetermined; uniform is neutral.
        rates[cell] = total > 0 ? rates[cell]! / total : 1 / K;
        logRates[cell] = Math.log(rates[cell]!);
      }
    }
  }
}

/** Posteriors at the current parameters; returns the log-likelihood of the observed labels. */
function eStep({ I, K, start, offOf }: Data, model: Model, T: Float64Array): number {
  const { logRates, logPriors } = model;
  const row = new Float64Array(K);
  let logLikelihood = 0;
  for (let i = 0; i < I; i++) {
    const from = start[i]!;
    const to = start[i + 1]!;
    let max = -Infinity;
    for (let j = 0; j < K; j++) {
      let acc = logPriors[j]!;
      for (let n = from; n < to; n++) acc += logRates[offOf[n]! + j]!;
      row[j] = acc;
      if (acc > max) max = acc;
    }
    if (max === -Infinity) {
      // Impossible under every class (only reachable with zero smoothing and a class whose prior died).
      for (let j = 0; j < K; j++) T[i * K + j] = 1 / K;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < K; j++) {
      const e = Math.exp(row[j]! - max);
      row[j] = e;
      sum += e;
    }
    for (let j = 0; j < K; j++) T[i * K + j] = row[j]! / sum;
    logLikelihood += max + Math.log(sum);
  }
  return logLikelihood;
}

/** Label → dense index in order of appearance, validated once per distinct label. */
class IdTable {
  private readonly index = new Map<Label, number>();
  private readonly seen: Label[] = [];
  private readonly where: string;

  constructor(where: string) {
    this.where = where;
  }

  id(v: Label): number {
    const known = this.index.get(v);
    if (known !== undefined) return known;
    checkLabel(v, this.where);
    const first = this.seen[0];
    if (first !== undefined && typeof first !== typeof v) throw mixedError(this.where, first, v);
    this.index.set(v, this.seen.length);
    this.seen.push(v);
    return this.seen.length - 1;
  }

  /** The labels in label order, and provisional index → position in that order. */
  sorted(): { labels: Label[]; remap: Int32Array } {
    const order = this.seen.map((_, i) => i).sort((a, b) => compareLabels(this.seen[a]!, this.seen[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((provisional, position) => (remap[provisional] = position));
    return { labels: order.map((i) => this.seen[i]!), remap };
  }
}
