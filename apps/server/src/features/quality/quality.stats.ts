/**
 * The statistics of quality figures over stored contributions, with @accord/metrics: α from summed
 * coincidences, percent agreement and Fleiss' κ from unit sizes, Bradley–Terry from model pair
 * tallies, and the bootstrap over blocks (random groups of items; one item per block in small
 * projects). Pure functions: no database, no Hono.
 */
import { bradleyTerry, createRandom, krippendorffAlphaFromCoincidences, masiDistance, type Random } from '@accord/metrics';
import type { AgreementFigures, Figure, LeaderboardQuery } from '@accord/core';

/** One block's contribution to a scope: coincidence cells and units by size. */
export interface BlockPart {
  /** Coincidence cells: v1, v2, o (one triple per stored row). */
  cells: number[];
  /** m → { units, paSum } */
  units: Map<number, { units: number; paSum: number }>;
}

export type ScopeData = Map<number, BlockPart>;

export function emptyPart(): BlockPart {
  return { cells: [], units: new Map() };
}

/**
 * A scope's blocks as dense arrays over its categories (ascending values) and unit sizes, so a
 * bootstrap resample is a sum of typed arrays.
 */
interface Dense {
  categories: number[];
  /** Nominal-view category of each category, and how many view categories there are. */
  view: Int32Array;
  viewK: number;
  sizes: number[];
  /** Per block: k×k coincidences, then per size: units and pa sums. */
  cells: Float64Array[];
  units: Float64Array[];
  pa: Float64Array[];
}

function densify(parts: BlockPart[], nominalView: View): Dense {
  const cats = new Set<number>();
  const sizes = new Set<number>();
  for (const p of parts) {
    for (let i = 0; i < p.cells.length; i += 3) cats.add(p.cells[i]!).add(p.cells[i + 1]!);
    for (const m of p.units.keys()) sizes.add(m);
  }
  const categories = [...cats].sort((a, b) => a - b);
  const viewValues = [...new Set(categories.map(nominalView))].sort((a, b) => a - b);
  const view = Int32Array.from(categories, (c) => viewValues.indexOf(nominalView(c)));
  const sizeList = [...sizes].sort((a, b) => a - b);
  const ci = new Map(categories.map((c, i) => [c, i]));
  const k = categories.length;
  const cells: Float64Array[] = [];
  const units: Float64Array[] = [];
  const pa: Float64Array[] = [];
  for (const p of parts) {
    const c = new Float64Array(k * k);
    for (let i = 0; i < p.cells.length; i += 3) c[ci.get(p.cells[i]!)! * k + ci.get(p.cells[i + 1]!)!]! += p.cells[i + 2]!;
    const u = new Float64Array(sizeList.length);
    const q = new Float64Array(sizeList.length);
    sizeList.forEach((m, i) => {
      const x = p.units.get(m);
      if (x) {
        u[i] = x.units;
        q[i] = x.paSum;
      }
    });
    cells.push(c);
    units.push(u);
    pa.push(q);
  }
  return { categories, view, viewK: viewValues.length, sizes: sizeList, cells, units, pa };
}

/** dst += w × src (element-wise). */
export function addScaled(dst: Float64Array, src: Float64Array, w: number): void {
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = dst[i]! + w * src[i]!;
}

function sumDense(d: Dense, pick: readonly number[]): { cells: Float64Array; units: Float64Array; pa: Float64Array } {
  const k = d.categories.length;
  const cells = new Float64Array(k * k);
  const units = new Float64Array(d.sizes.length);
  const pa = new Float64Array(d.sizes.length);
  // A resample draws blocks with replacement: add each drawn block once, times its draws.
  const times = new Float64Array(d.cells.length);
  for (const b of pick) times[b]!++;
  for (let b = 0; b < times.length; b++) {
    const w = times[b]!;
    if (w === 0) continue;
    addScaled(cells, d.cells[b]!, w);
    addScaled(units, d.units[b]!, w);
    addScaled(pa, d.pa[b]!, w);
  }
  return { cells, units, pa };
}

const rows2d = (flat: Float64Array, k: number): number[][] => Array.from({ length: k }, (_, i) => Array.from(flat.subarray(i * k, i * k + k)));

function statsOfDense(d: Dense, s: { cells: Float64Array; units: Float64Array; pa: Float64Array }, withInterval = false): Stats {
  const k = d.categories.length;
  const vk = d.viewK;
  const nominal = new Float64Array(vk * vk);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) nominal[d.view[a]! * vk + d.view[b]!]! += s.cells[a * k + b]!;
  let pairable = 0;
  let paSum = 0;
  const present: number[] = [];
  d.sizes.forEach((m, i) => {
    if (Math.round(s.units[i]!) === 0) return;
    present.push(m);
    if (m >= 2) {
      pairable += s.units[i]!;
      paSum += s.pa[i]!;
    }
  });
  const percent = pairable > 0.5 ? paSum / pairable : null;
  const sameSize = present.length === 1 && present[0]! >= 2;
  let fleiss: number | null = null;
  if (sameSize && percent !== null) {
    // The coincidences' marginals are each category's values in pairable units: Fleiss' p_j.
    const marg = Array.from({ length: vk }, (_, a) => nominal.subarray(a * vk, a * vk + vk).reduce((x, y) => x + y, 0));
    const total = marg.reduce((x, y) => x + y, 0);
    const pe = total > 0 ? marg.reduce((x, y) => x + (y / total) ** 2, 0) : 1;
    fleiss = pe < 1 - 1e-12 ? (percent - pe) / (1 - pe) : null;
  }
  const viewCats = Array.from({ length: vk }, (_, i) => i);
  return {
    alphaOrdinal: clean(krippendorffAlphaFromCoincidences(d.categories, rows2d(s.cells, k), 'ordinal')),
    alphaNominal: clean(krippendorffAlphaFromCoincidences(viewCats, rows2d(nominal, vk), 'nominal')),
    alphaInterval: withInterval ? clean(krippendorffAlphaFromCoincidences(d.categories, rows2d(s.cells, k), 'interval')) : null,
    percent,
    fleiss,
    pairable: Math.round(pairable),
    sameSize,
  };
}

/** `nominalView`: the categories of nominal α, percent agreement and Fleiss (3-way for preferences). */
export function statsOf(part: BlockPart, nominalView: View): Stats {
  const d = densify([part], nominalView);
  return statsOfDense(d, sumDense(d, [0]));
}

type View = (v: number) => number;
export const threeWay: View = (v) => Math.sign(v);

export interface Stats {
  alphaOrdinal: number | null;
  alphaNominal: number | null;
  /** α interval on the values themselves (asked for: ratings). */
  alphaInterval: number | null;
  percent: number | null;
  fleiss: number | null;
  /** Units with two or more values. */
  pairable: number;
  /** Whether every unit has the same number of values (Fleiss' κ is defined). */
  sameSize: boolean;
}

const clean = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

/** Empirical quantile (R type 7) of a sorted array. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!);
}

export function interval(values: number[]): [number, number] | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length < 2) return null;
  return [quantile(v, 0.025), quantile(v, 0.975)];
}

/** Draws as many blocks as there are, with replacement. */
export function resample<T>(blocks: readonly T[], rng: Random): T[] {
  const out: T[] = new Array<T>(blocks.length);
  for (let i = 0; i < blocks.length; i++) out[i] = blocks[rng.int(blocks.length)]!;
  return out;
}

/**
 * A scope's figures with bootstrap intervals over its blocks. `kendall`: per block Σ W and count
 * (rankings), or null.
 */
export function figuresOf(
  data: ScopeData,
  nominalView: View,
  opts: { samples: number; seed: number; interval?: boolean },
  kendall: Map<number, { sum: number; n: number }> | null,
): AgreementFigures {
  const withInterval = opts.interval === true;
  const blocks = [...data.keys()].sort((a, b) => a - b);
  const d = densify(
    blocks.map((b) => data.get(b)!),
    nominalView,
  );
  const all = blocks.map((_, i) => i);
  const est = statsOfDense(d, sumDense(d, all), withInterval);
  const boot = { ord: [] as number[], nom: [] as number[], int: [] as number[], pa: [] as number[], fl: [] as number[] };
  const rng = createRandom(opts.seed);
  if (opts.samples > 0 && blocks.length >= 2) {
    for (let s = 0; s < opts.samples; s++) {
      const st = statsOfDense(d, sumDense(d, resample(all, rng)), withInterval);
      if (st.alphaOrdinal !== null) boot.ord.push(st.alphaOrdinal);
      if (st.alphaInterval !== null) boot.int.push(st.alphaInterval);
      if (st.alphaNominal !== null) boot.nom.push(st.alphaNominal);
      if (st.percent !== null) boot.pa.push(st.percent);
      if (st.fleiss !== null) boot.fl.push(st.fleiss);
    }
  }
  const fig = (value: number | null, b: number[]): Figure => ({ value, n: est.pairable, ci: value === null ? null : interval(b) });
  let kendallW: Figure | null = null;
  if (kendall) {
    const kb = [...kendall.keys()].sort((a, b) => a - b).map((b) => kendall.get(b)!);
    const total = kb.reduce((x, y) => ({ sum: x.sum + y.sum, n: x.n + y.n }), { sum: 0, n: 0 });
    const samples: number[] = [];
    const krng = createRandom(opts.seed + 1);
    if (opts.samples > 0 && kb.length >= 2)
      for (let s = 0; s < opts.samples; s++) {
        const r = resample(kb, krng).reduce((x, y) => ({ sum: x.sum + y.sum, n: x.n + y.n }), { sum: 0, n: 0 });
        if (r.n > 0) samples.push(r.sum / r.n);
      }
    const value = total.n > 0 ? total.sum / total.n : null;
    kendallW = { value, n: total.n, ci: value === null ? null : interval(samples) };
  }
  return {
    alpha: { ordinal: fig(est.alphaOrdinal, boot.ord), nominal: fig(est.alphaNominal, boot.nom), ...(withInterval ? { interval: fig(est.alphaInterval, boot.int) } : {}) },
    percentAgreement: fig(est.percent, boot.pa),
    fleissKappa: est.sameSize ? fig(est.fleiss, boot.fl) : null,
    kendallW,
  };
}

/**
 * A classification project's kept contributions (see packages/db/src/schema/quality.ts): scope `cls`
 * (label sets as values), `lbl:<label>` per label (the items where someone chose it), the picks per
 * label, and each `cls` value's labels.
 */
export interface LabelScopes {
  sets: ScopeData;
  perLabel: ReadonlyMap<string, ScopeData>;
  picks: ReadonlyMap<string, number>;
  names: ReadonlyMap<number, readonly string[]>;
}

/** Above this many distinct label sets MASI α has no interval (its k×k resample sums would not be cheap). */
const MASI_CI_MAX_SETS = 400;

/**
 * Classification agreement beyond α on the whole label set: each label as a binary nominal variable
 * over the items (α nominal of "chose it or not", with the scope machinery's bootstrap over blocks),
 * and MASI-weighted α over the label sets (Passonneau 2006; per-block coincidences of distinct sets,
 * bootstrapped over blocks). `labels`: the labels to report, in this order.
 *
 * From kept contributions: a label's scope has only the items where someone chose it; every other
 * classified item agrees on "not chosen" (m values of 0: m coincidences o(0, 0), agreement 1), so its
 * blocks are completed from the label-set scope's unit sizes.
 */
export function labelFiguresOf(scopes: LabelScopes, labels: readonly string[], opts: { samples: number; seed: number }) {
  const perLabel = labels.map((label) => {
    const own = scopes.perLabel.get(label);
    const data: ScopeData = new Map();
    for (const [block, all] of scopes.sets) {
      const part = own?.get(block);
      const out = emptyPart();
      out.cells.push(...(part?.cells ?? []));
      let notChosen = 0;
      for (const [m, u] of all.units) {
        const mine = part?.units.get(m) ?? { units: 0, paSum: 0 };
        const rest = u.units - mine.units;
        if (m >= 2) notChosen += m * rest;
        out.units.set(m, { units: u.units, paSum: mine.paSum + (m >= 2 ? rest : 0) });
      }
      out.cells.push(0, 0, notChosen);
      data.set(block, out);
    }
    return data;
  });

  // MASI: the sets' coincidences per block, over the distinct sets.
  const setIndex = new Map<number, number>();
  const sets: (readonly string[])[] = [];
  const index = (value: number) => {
    let c = setIndex.get(value);
    if (c === undefined) {
      setIndex.set(value, (c = sets.length));
      // Every value has its set (the refresh records each new one); a 32-bit hash collision would share one.
      sets.push(scopes.names.get(value) ?? []);
    }
    return c;
  };
  const masiBlocks: { cells: [number, number, number][]; pairable: number }[] = [];
  for (const block of [...scopes.sets.keys()].sort((a, b) => a - b)) {
    const part = scopes.sets.get(block)!;
    let pairable = 0;
    for (const [m, u] of part.units) if (m >= 2) pairable += u.units;
    const cells: [number, number, number][] = [];
    for (let i = 0; i < part.cells.length; i += 3) if (part.cells[i + 2] !== 0) cells.push([index(part.cells[i]!), index(part.cells[i + 1]!), part.cells[i + 2]!]);
    if (cells.length > 0) masiBlocks.push({ cells, pairable });
  }
  const K = sets.length;
  const dist = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) dist[a * K + b] = masiDistance(sets[a]!, sets[b]!);
  const cats = sets.map((_, i) => i);
  const alphaOf = (times: Float64Array) => {
    const o = new Float64Array(K * K);
    masiBlocks.forEach((b, i) => {
      const w = times[i]!;
      if (w !== 0) for (const [c, k, v] of b.cells) o[c * K + k]! += w * v;
    });
    return clean(krippendorffAlphaFromCoincidences(cats, rows2d(o, K), (a, b) => dist[a * K + b]!));
  };
  const value = K > 0 ? alphaOf(new Float64Array(masiBlocks.length).fill(1)) : null;
  const boot: number[] = [];
  if (value !== null && opts.samples > 0 && masiBlocks.length >= 2 && K <= MASI_CI_MAX_SETS) {
    const rng = createRandom(opts.seed);
    for (let s = 0; s < opts.samples; s++) {
      const times = new Float64Array(masiBlocks.length);
      for (let i = 0; i < masiBlocks.length; i++) times[rng.int(masiBlocks.length)]!++;
      const a = alphaOf(times);
      if (a !== null) boot.push(a);
    }
  }
  const pairable = masiBlocks.reduce((x, b) => x + b.pairable, 0);
  return {
    masiAlpha: { value, n: pairable, ci: value === null ? null : interval(boot) } satisfies Figure,
    labels: labels.map((label, i) => ({ label, picked: scopes.picks.get(label) ?? 0, alpha: figuresOf(perLabel[i]!, (v) => v, opts, null).alpha.nominal })),
  };
}

/** Cohen's κ from a confusion table { "a|b": n }; null when undefined. */
export function kappaFromPairs(pairs: Iterable<{ a: number; b: number; n: number }>): { kappa: number | null; n: number } {
  let n = 0;
  let agree = 0;
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (const p of pairs) {
    if (p.n === 0) continue;
    n += p.n;
    if (p.a === p.b) agree += p.n;
    rows.set(p.a, (rows.get(p.a) ?? 0) + p.n);
    cols.set(p.b, (cols.get(p.b) ?? 0) + p.n);
  }
  if (n === 0) return { kappa: null, n: 0 };
  const po = agree / n;
  let pe = 0;
  for (const [c, r] of rows) pe += (r / n) * ((cols.get(c) ?? 0) / n);
  return { kappa: pe >= 1 - 1e-12 ? null : (po - pe) / (1 - pe), n };
}

export interface ModelTally {
  block: number;
  modelA: string;
  modelB: string;
  winsA: number;
  ties: number;
  winsB: number;
}

/** Bradley–Terry strengths (ties half, sum one); a weak prior of a tenth of a tie per compared pair when the MLE does not exist. */
export function strengths(models: readonly string[], tallies: readonly ModelTally[]): number[] | null {
  const index = new Map(models.map((m, i) => [m, i]));
  const k = models.length;
  if (k < 2) return k === 1 ? [1] : null;
  const wins = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const ties = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const t of tallies) {
    const i = index.get(t.modelA)!;
    const j = index.get(t.modelB)!;
    wins[i]![j]! += t.winsA;
    wins[j]![i]! += t.winsB;
    ties[i]![j]! += t.ties;
    ties[j]![i]! += t.ties;
  }
  const fit = bradleyTerry({ items: models, wins, ties });
  if (fit.mleExists && fit.strengthsSumOne) return fit.strengthsSumOne;
  const compared = new Set(tallies.filter((t) => t.winsA + t.ties + t.winsB > 0).map((t) => `${index.get(t.modelA)}|${index.get(t.modelB)}`));
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      if (i !== j) {
        ties[i]![j]! += 0.05;
        if (compared.has(`${i}|${j}`) || compared.has(`${j}|${i}`)) ties[i]![j]! += 0.05;
      }
  const prior = bradleyTerry({ items: models, wins, ties });
  return prior.strengthsSumOne;
}

/** The leaderboard of model pair tallies: Bradley–Terry strengths, records, and the bootstrap over blocks. */
export function leaderboardOf(tallies: readonly ModelTally[], q: Pick<LeaderboardQuery, 'from' | 'samples' | 'seed'>) {
  const modelSet = new Set<string>();
  for (const t of tallies) modelSet.add(t.modelA).add(t.modelB);
  const models = [...modelSet].sort();
  const est = strengths(models, tallies);
  const record = new Map(models.map((m) => [m, { wins: 0, ties: 0, losses: 0 }]));
  let comparisons = 0;
  for (const t of tallies) {
    const a = record.get(t.modelA)!;
    const b = record.get(t.modelB)!;
    a.wins += t.winsA;
    a.losses += t.winsB;
    a.ties += t.ties;
    b.wins += t.winsB;
    b.losses += t.winsA;
    b.ties += t.ties;
    comparisons += t.winsA + t.ties + t.winsB;
  }
  // Bootstrap over blocks: each block as dense k×k wins and ties; a resample sums the blocks drawn and refits.
  const k = models.length;
  const index = new Map(models.map((m, i) => [m, i]));
  const byBlock = new Map<number, { wins: Float64Array; ties: Float64Array }>();
  for (const t of tallies) {
    let b = byBlock.get(t.block);
    if (!b) byBlock.set(t.block, (b = { wins: new Float64Array(k * k), ties: new Float64Array(k * k) }));
    const i = index.get(t.modelA)!;
    const j = index.get(t.modelB)!;
    b.wins[i * k + j]! += t.winsA;
    b.wins[j * k + i]! += t.winsB;
    b.ties[i * k + j]! += t.ties;
    b.ties[j * k + i]! += t.ties;
  }
  const blocks = [...byBlock.keys()].sort((a, b) => a - b).map((b) => byBlock.get(b)!);
  const samples: number[][] = models.map(() => []);
  let valid = 0;
  if (q.samples > 0 && blocks.length >= 2 && k >= 2) {
    const rng = createRandom(q.seed);
    for (let s = 0; s < q.samples; s++) {
      const wins = new Float64Array(k * k);
      const ties = new Float64Array(k * k);
      // Each drawn block once, times its draws.
      const times = new Float64Array(blocks.length);
      for (let i = 0; i < blocks.length; i++) times[rng.int(blocks.length)]!++;
      for (let b = 0; b < blocks.length; b++) {
        if (times[b] === 0) continue;
        addScaled(wins, blocks[b]!.wins, times[b]!);
        addScaled(ties, blocks[b]!.ties, times[b]!);
      }
      // Only the models compared in this resample are refitted (the MLE must exist).
      const seen = models.map((_, i) => {
        for (let j = 0; j < k; j++) if (wins[i * k + j]! + wins[j * k + i]! + ties[i * k + j]! > 0) return true;
        return false;
      });
      // A resample that lacks a model says nothing about it, and its strengths (summing to 1 over
      // fewer models) are on another scale than the estimate's: only resamples with every model count.
      const sub = models.map((_, i) => i).filter((i) => seen[i]);
      if (sub.length < k) continue;
      // An interval needs strengths to a few digits, not to the last bit.
      const fit = bradleyTerry(
        {
          items: sub.map((i) => models[i]!),
          wins: sub.map((i) => sub.map((j) => wins[i * k + j]!)),
          ties: sub.map((i) => sub.map((j) => ties[i * k + j]!)),
        },
        { tolerance: 1e-9 },
      );
      if (!fit.mleExists || !fit.strengthsSumOne) continue;
      sub.forEach((i, x) => samples[i]!.push(fit.strengthsSumOne![x]!));
      valid++;
    }
  }
  // Intervals only when most resamples could be fitted (every model compared, the MLE existing):
  // otherwise they would describe a few lucky draws.
  const enough = valid >= Math.max(2, q.samples / 2);
  const rows = models.map((model, i) => {
    const r = record.get(model)!;
    return { model, strength: est?.[i] ?? 0, ci: enough ? interval(samples[i]!) : null, comparisons: r.wins + r.ties + r.losses, wins: r.wins, ties: r.ties, losses: r.losses };
  });
  rows.sort((a, b) => b.strength - a.strength || a.model.localeCompare(b.model));
  return { from: q.from, models: rows, comparisons, bootstrapSamples: q.samples };
}
