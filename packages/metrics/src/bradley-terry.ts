/**
 * Bradley–Terry maximum likelihood: P(i beats j) = s_i / (s_i + s_j). A tie counts as half a win for
 * each side (the convention of Evalica and of the LLMFAO leaderboard). The MLE exists iff the
 * "beat at least partly" digraph is strongly connected (Zermelo 1929; Ford 1957); otherwise some
 * strengths run off to 0 or ∞ and we report `mleExists: false` instead of a number.
 * Default solver: Newton's method on the log-strengths (the log-likelihood is concave) with step
 * halving, to full convergence. `method: 'mm'` is Hunter's (2004) MM / Zermelo iteration with the
 * strengths renormalised to sum one each step, stopping at an L1 change below `tolerance`, which is
 * exactly how Evalica (and so the published LLMFAO scores) computes them.
 */
import { MetricsError, describe, sortedDistinct, type Label } from './labels.ts';
import { createRandom } from './random.ts';

export interface BradleyTerryInput {
  readonly items: readonly Label[];
  /** wins[i][j]: times items[i] beat items[j]. */
  readonly wins: readonly (readonly number[])[];
  /** ties[i][j] = ties[j][i]: ties between i and j; each counts half a win for both. */
  readonly ties?: readonly (readonly number[])[];
}

export interface BradleyTerryOptions {
  readonly method?: 'newton' | 'mm';
  /** Newton: largest change of a log-strength; MM: L1 change of the sum-one strengths. */
  readonly tolerance?: number;
  readonly maxIterations?: number;
}

export interface BradleyTerry {
  readonly items: readonly Label[];
  readonly mleExists: boolean;
  /** Natural-log strengths, summing to zero. */
  readonly logStrengths: number[] | null;
  /** exp(logStrengths): geometric mean 1. */
  readonly strengths: number[] | null;
  /** Strengths scaled to sum to one (the scale Evalica and LLMFAO publish). */
  readonly strengthsSumOne: number[] | null;
  readonly iterations: number;
  readonly converged: boolean;
}

export type Outcome = 'first' | 'second' | 'tie';
/** One judgment: [first item, second item, which won]. */
export type Comparison = readonly [first: Label, second: Label, outcome: Outcome];

/** Aggregates individual comparisons into win and tie counts (items: declared, or sorted observed). */
export function pairwiseCounts(comparisons: readonly Comparison[], items?: readonly Label[]): Required<BradleyTerryInput> {
  const list = items ?? sortedDistinct(comparisons.flatMap(([a, b]) => [a, b]), 'pairwiseCounts');
  const index = new Map<Label, number>(list.map((item, i) => [item, i]));
  if (index.size !== list.length) throw new MetricsError('pairwiseCounts: an item is listed twice');
  const k = list.length;
  const wins = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const ties = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const [a, b, outcome] of comparisons) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined) {
      throw new MetricsError(`pairwiseCounts: item ${describe(i === undefined ? a : b)} is not in items`);
    }
    if (i === j) throw new MetricsError(`pairwiseCounts: item ${describe(a)} is compared with itself`);
    if (outcome === 'first') wins[i]![j]! += 1;
    else if (outcome === 'second') wins[j]![i]! += 1;
    else if (outcome === 'tie') {
      ties[i]![j]! += 1;
      ties[j]![i]! += 1;
    } else throw new MetricsError(`pairwiseCounts: unknown outcome ${describe(outcome)}`);
  }
  return { items: list, wins, ties };
}

/** M[i*k+j] = wins + ties/2, validated. */
function winMatrix(input: BradleyTerryInput): Float64Array {
  const k = input.items.length;
  const m = new Float64Array(k * k);
  const check = (name: string, matrix: readonly (readonly number[])[]): void => {
    if (matrix.length !== k || matrix.some((row) => row.length !== k)) {
      throw new MetricsError(`bradleyTerry: ${name} must be ${k} × ${k} (one row and column per item)`);
    }
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const v = matrix[i]![j]!;
        if (!(Number.isFinite(v) && v >= 0)) {
          throw new MetricsError(`bradleyTerry: ${name}[${i}][${j}] = ${String(v)} is not a count ≥ 0`);
        }
        if (i === j && v !== 0) throw new MetricsError(`bradleyTerry: ${name}[${i}][${i}] must be 0 (self-comparison)`);
      }
    }
  };
  check('wins', input.wins);
  if (input.ties !== undefined) check('ties', input.ties);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let v = input.wins[i]![j]!;
      if (input.ties !== undefined) {
        const t = input.ties[i]![j]!;
        if (t !== input.ties[j]![i]) {
          throw new MetricsError(`bradleyTerry: ties must be symmetric, but ties[${i}][${j}] ≠ ties[${j}][${i}]`);
        }
        v += t / 2;
      }
      m[i * k + j] = v;
    }
  }
  return m;
}

/** Strong connectivity of the digraph i→j when M_ij > 0: everything reachable from 0 both ways. */
function stronglyConnected(m: Float64Array, k: number): boolean {
  if (k <= 1) return true;
  for (const forward of [true, false]) {
    const seen = new Uint8Array(k);
    const stack = [0];
    seen[0] = 1;
    let reached = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < k; j++) {
        if (seen[j] || (forward ? m[i * k + j]! : m[j * k + i]!) <= 0) continue;
        seen[j] = 1;
        reached++;
        stack.push(j);
      }
    }
    if (reached < k) return false;
  }
  return true;
}

export function bradleyTerry(input: BradleyTerryInput, options: BradleyTerryOptions = {}): BradleyTerry {
  const k = input.items.length;
  return solve(input.items, winMatrix(input), k, options);
}

function solve(
  items: readonly Label[],
  m: Float64Array,
  k: number,
  options: BradleyTerryOptions,
  start?: readonly number[],
): BradleyTerry {
  const method = options.method ?? 'newton';
  if (!stronglyConnected(m, k)) {
    return { items, mleExists: false, logStrengths: null, strengths: null, strengthsSumOne: null, iterations: 0, converged: false };
  }
  const fit = method === 'mm' ? mm(m, k, options) : newton(m, k, options, start);
  const theta = fit.theta;
  let mean = 0;
  for (const t of theta) mean += t / (k || 1);
  const logStrengths = Array.from(theta, (t) => t - mean);
  const strengths = logStrengths.map(Math.exp);
  const total = strengths.reduce((a, b) => a + b, 0);
  return {
    items,
    mleExists: true,
    logStrengths,
    strengths,
    strengthsSumOne: strengths.map((s) => s / total),
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

interface Fit {
  theta: Float64Array;
  iterations: number;
  converged: boolean;
}

function mm(m: Float64Array, k: number, options: BradleyTerryOptions): Fit {
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 100_000;
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) w[i]! += m[i * k + j]!;
  let s = new Float64Array(k).fill(1 / k);
  let next = new Float64Array(k);
  let iterations = 0;
  let converged = k <= 1;
  while (!converged && iterations < maxIterations) {
    iterations++;
    let total = 0;
    for (let i = 0; i < k; i++) {
      let d = 0;
      for (let j = 0; j < k; j++) {
        const t = m[i * k + j]! + m[j * k + i]!;
        if (j !== i && t > 0) d += t / (s[i]! + s[j]!);
      }
      next[i] = w[i]! / d;
      total += next[i]!;
    }
    let change = 0;
    for (let i = 0; i < k; i++) {
      next[i]! /= total;
      change += Math.abs(next[i]! - s[i]!);
    }
    [s, next] = [next, s];
    converged = change < tolerance;
  }
  return { theta: Float64Array.from(s, Math.log), iterations, converged };
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function logLikelihood(m: Float64Array, k: number, theta: Float64Array): number {
  let ll = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const c = m[i * k + j]!;
      if (c > 0) ll -= c * softplus(theta[j]! - theta[i]!);
    }
  }
  return ll;
}

/**
 * Newton on θ = log s. The negative Hessian L is a weighted graph Laplacian (null space 1); adding
 * 11ᵀ/k makes it positive definite without changing the step, since the gradient sums to zero.
 */
function newton(m: Float64Array, k: number, options: BradleyTerryOptions, start?: readonly number[]): Fit {
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 200;
  // Any start converges (concave objective, step halving); a nearby one just takes fewer steps.
  let theta = start === undefined ? new Float64Array(k) : Float64Array.from(start);
  let ll = logLikelihood(m, k, theta);
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    grad.fill(0);
    hess.fill(1 / k);
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const t = m[i * k + j]! + m[j * k + i]!;
        if (t === 0) continue;
        const p = 1 / (1 + Math.exp(theta[j]! - theta[i]!));
        const g = m[i * k + j]! - t * p;
        grad[i]! += g;
        grad[j]! -= g;
        const h = t * p * (1 - p);
        hess[i * k + i]! += h;
        hess[j * k + j]! += h;
        hess[i * k + j]! -= h;
        hess[j * k + i]! -= h;
      }
    }
    const step = choleskySolve(hess, grad, k);
    let largest = 0;
    for (let i = 0; i < k; i++) largest = Math.max(largest, Math.abs(step[i]!));
    let scale = 1;
    const candidate = new Float64Array(k);
    for (;;) {
      for (let i = 0; i < k; i++) candidate[i] = theta[i]! + scale * step[i]!;
      const next = logLikelihood(m, k, candidate);
      if (next >= ll - 1e-12 * Math.abs(ll) || scale < 1e-10) {
        ll = next;
        break;
      }
      scale /= 2;
    }
    theta = candidate;
    if (largest * scale < tolerance || largest < tolerance) return { theta, iterations: iteration, converged: true };
  }
  return { theta, iterations: maxIterations, converged: false };
}

/** Solves A x = b for symmetric positive definite A (row-major, k×k). */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * k + j]!;
      for (let p = 0; p < j; p++) sum -= l[i * k + p]! * l[j * k + p]!;
      if (i === j) l[i * k + i] = Math.sqrt(Math.max(sum, 1e-300));
      else l[i * k + j] = sum / l[j * k + j]!;
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = b[i]!;
    for (let p = 0; p < i; p++) sum -= l[i * k + p]! * y[p]!;
    y[i] = sum / l[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let p = i + 1; p < k; p++) sum -= l[p * k + i]! * x[p]!;
    x[i] = sum / l[i * k + i]!;
  }
  return x;
}

export interface BootstrapOptions extends BradleyTerryOptions {
  readonly seed: number;
  /** Resamples; default 1000. */
  readonly samples?: number;
  /** Central interval coverage; default 0.95. */
  readonly level?: number;
}

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export interface BradleyTerryBootstrap {
  readonly items: readonly Label[];
  readonly estimate: BradleyTerry;
  /** Percentile intervals per item, null when no resample had an MLE. */
  readonly logStrengths: (Interval | null)[];
  readonly strengthsSumOne: (Interval | null)[];
  readonly samples: number;
  /** Resamples whose comparison graph was not strongly connected (left out of the intervals). */
  readonly samplesWithoutMle: number;
}

/**
 * Nonparametric bootstrap over individual comparisons: each resample draws N outcomes (win of i
 * over j, or a tie) with replacement from the N observed, refits, and the intervals are empirical
 * quantiles (R type 7) of the refitted values. Same seed, same intervals.
 */
export function bradleyTerryBootstrap(input: BradleyTerryInput, options: BootstrapOptions): BradleyTerryBootstrap {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  if (!(Number.isInteger(samples) && samples > 0)) throw new MetricsError('bradleyTerryBootstrap: samples must be a positive integer');
  if (!(level > 0 && level < 1)) throw new MetricsError('bradleyTerryBootstrap: level must be in (0, 1)');
  const k = input.items.length;
  const estimate = bradleyTerry(input, options);
  // One entry per observed outcome: cell i*k+j for a win of i over j; −(cell+1) for a tie (i < j).
  const outcomes: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = input.wins[i]![j]!;
      if (!Number.isInteger(w)) throw new MetricsError('bradleyTerryBootstrap: wins must be whole counts');
      for (let c = 0; c < w; c++) outcomes.push(i * k + j);
      if (input.ties !== undefined && j > i) {
        const t = input.ties[i]![j]!;
        if (!Number.isInteger(t)) throw new MetricsError('bradleyTerryBootstrap: ties must be whole counts');
        for (let c = 0; c < t; c++) outcomes.push(-(i * k + j) - 1);
      }
    }
  }
  const drawn = Int32Array.from(outcomes);
  const n = drawn.length;
  const random = createRandom(options.seed);
  const logDraws: number[][] = Array.from({ length: k }, () => []);
  const sumOneDraws: number[][] = Array.from({ length: k }, () => []);
  let failed = 0;
  const m = new Float64Array(k * k);
  for (let b = 0; b < samples; b++) {
    m.fill(0);
    for (let d = 0; d < n; d++) {
      const cell = drawn[random.int(n)]!;
      if (cell >= 0) m[cell]! += 1;
      else {
        const c = -cell - 1;
        const i = Math.floor(c / k);
        const j = c % k;
        m[i * k + j]! += 0.5;
        m[j * k + i]! += 0.5;
      }
    }
    // Warm start from the full-data estimate: resamples are close to it.
    const fit = solve(input.items, m, k, options, estimate.logStrengths ?? undefined);
    if (!fit.mleExists) {
      failed++;
      continue;
    }
    for (let i = 0; i < k; i++) {
      logDraws[i]!.push(fit.logStrengths![i]!);
      sumOneDraws[i]!.push(fit.strengthsSumOne![i]!);
    }
  }
  const alpha = (1 - level) / 2;
  const interval = (draws: number[]): Interval | null => {
    if (draws.length === 0) return null;
    const sorted = Float64Array.from(draws).sort();
    return { lower: quantile(sorted, alpha), upper: quantile(sorted, 1 - alpha) };
  };
  return {
    items: input.items,
    estimate,
    logStrengths: logDraws.map(interval),
    strengthsSumOne: sumOneDraws.map(interval),
    samples,
    samplesWithoutMle: failed,
  };
}

/** Hyndman & Fan type 7 (R's default) quantile of sorted values. */
export function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
