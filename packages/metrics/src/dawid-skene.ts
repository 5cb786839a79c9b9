/**
 * Dawid & Skene (1979), "Maximum Likelihood Estimation of Observer Error-Rates Using the EM
 * Algorithm": each rater r has a full confusion matrix π^r[j][l] = P(r says l | truth j), items are
 * independent draws from class priors, and EM alternates class posteriors (E) with priors and
 * confusion matrices (M). A rater may label an item several times (rater 1 in the 1979 data); each
 * label counts as one observation from the same matrix. Works in log space so that many agreeing
 * labels cannot underflow a posterior to 0/0.
 */
import { MetricsError, describe, indexCategories, sortedDistinct, type Label } from './labels.ts';

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

  const items = sortedDistinct(responses.map((r) => r[0]), `${where} item ids`);
  const raters = sortedDistinct(responses.map((r) => r[1]), `${where} rater ids`);
  const itemIndex = new Map<Label, number>(items.map((v, i) => [v, i]));
  const raterIndex = new Map<Label, number>(raters.map((v, i) => [v, i]));
  const I = items.length;
  const R = raters.length;
  const N = responses.length;

  // Responses grouped by item (CSR) so the E-step walks each item's labels contiguously.
  const start = new Int32Array(I + 1);
  for (const [item] of responses) start[itemIndex.get(item)! + 1]! += 1;
  for (let i = 0; i < I; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, I);
  const rOf = new Int32Array(N);
  const lOf = new Int32Array(N);
  for (const [item, rater, label] of responses) {
    const l = classIndex.get(label);
    if (l === undefined) throw new MetricsError(`${where}: label ${describe(label)} is not one of the classes`);
    const at = fill[itemIndex.get(item)!]!++;
    rOf[at] = raterIndex.get(rater)!;
    lOf[at] = l;
  }
  // A canonical order within each item makes every floating-point sum independent of input order:
  // on flat likelihoods, EM would otherwise amplify rounding differences into visible ones.
  for (let i = 0; i < I; i++) {
    const from = start[i]!;
    const to = start[i + 1]!;
    const keys = Array.from({ length: to - from }, (_, n) => rOf[from + n]! * K + lOf[from + n]!).sort((a, b) => a - b);
    keys.forEach((key, n) => {
      rOf[from + n] = Math.floor(key / K);
      lOf[from + n] = key % K;
    });
  }

  if (I === 0) {
    return { items, raters, classes, priors: null, posteriors: [], errorRates: [], labels: [], logLikelihood: 0, iterations: 0, converged: true };
  }

  const T = new Float64Array(I * K);
  for (let i = 0; i < I; i++) {
    const votes = new Float64Array(K);
    for (let n = start[i]!; n < start[i + 1]!; n++) votes[lOf[n]!]! += 1;
    if (init === 'majority-vote') {
      const top = Math.max(...votes);
      for (let j = 0; j < K; j++) votes[j] = votes[j] === top ? 1 : 0;
    }
    let total = 0;
    for (let j = 0; j < K; j++) total += votes[j]!;
    for (let j = 0; j < K; j++) T[i * K + j] = votes[j]! / total;
  }

  const priors = new Float64Array(K);
  // Stored [rater][said l][truth j] so the E-step's inner loop over j is contiguous.
  const rates = new Float64Array(R * K * K);
  const logRates = new Float64Array(R * K * K);
  const logPriors = new Float64Array(K);
  const previous = new Float64Array(K + R * K * K);
  const undetermined = new Uint8Array(R * K);
  const row = new Float64Array(K);
  let logLikelihood = -Infinity;
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations) {
    iterations++;
    // M-step.
    priors.fill(0);
    for (let i = 0; i < I; i++) for (let j = 0; j < K; j++) priors[j]! += T[i * K + j]! / I;
    rates.fill(smoothing);
    for (let i = 0; i < I; i++) {
      for (let n = start[i]!; n < start[i + 1]!; n++) {
        const off = (rOf[n]! * K + lOf[n]!) * K;
        for (let j = 0; j < K; j++) rates[off + j]! += T[i * K + j]!;
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
    for (let j = 0; j < K; j++) logPriors[j] = Math.log(priors[j]!);

    // E-step, accumulating the log-likelihood at the parameters just estimated.
    logLikelihood = 0;
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < K; j++) row[j] = logPriors[j]!;
      for (let n = start[i]!; n < start[i + 1]!; n++) {
        const off = (rOf[n]! * K + lOf[n]!) * K;
        for (let j = 0; j < K; j++) row[j]! += logRates[off + j]!;
      }
      let max = -Infinity;
      for (let j = 0; j < K; j++) if (row[j]! > max) max = row[j]!;
      if (max === -Infinity) {
        // Impossible under every class (only reachable with zero smoothing and a class whose prior died).
        for (let j = 0; j < K; j++) T[i * K + j] = 1 / K;
        continue;
      }
      let sum = 0;
      for (let j = 0; j < K; j++) sum += Math.exp(row[j]! - max);
      for (let j = 0; j < K; j++) T[i * K + j] = Math.exp(row[j]! - max) / sum;
      logLikelihood += max + Math.log(sum);
    }

    let change = 0;
    for (let j = 0; j < K; j++) change = Math.max(change, Math.abs(priors[j]! - previous[j]!));
    for (let c = 0; c < R * K * K; c++) change = Math.max(change, Math.abs(rates[c]! - previous[K + c]!));
    previous.set(priors, 0);
    previous.set(rates, K);
    if (iterations > 1 && change <= tolerance) {
      converged = true;
      break;
    }
  }

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
