/**
 * Benchmark: prints wall time and memory for the statistics dashboards run on large data.
 * Run with `npm run bench -w @accord/metrics` (node --expose-gc --import tsx bench/run.ts).
 * Optional argument: a scale factor for the sizes, e.g. `... bench/run.ts 0.1` for a quick run.
 * Data comes from a seeded generator, so every run measures the same input.
 */
import { performance } from 'node:perf_hooks';
import {
  bradleyTerry,
  bradleyTerryBootstrap,
  createRandom,
  dawidSkene,
  encodeRatings,
  fleissKappa,
  krippendorffAlpha,
  majorityVote,
  pairwiseCounts,
  percentAgreement,
  spearmanRho,
  type Comparison,
  type Random,
  type Response,
} from '../src/index.ts';
import { textbookAlpha } from '../test/textbook.ts';

const scale = Number(process.argv[2] ?? 1);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const MB = 1024 * 1024;

interface Measurement {
  ms: number;
  minMs: number;
  heapDeltaMB: number;
  peakRssMB: number;
}

/**
 * Median and minimum of `runs` timed runs after one warm-up; memory from the first timed run. On a
 * shared machine the minimum is the better estimate of the cost, so ratios and ns/unit use it.
 */
function measure<T>(label: string, fn: () => T, runs = 3, show: (value: T) => string = String): Measurement {
  fn();
  const times: number[] = [];
  let heapDeltaMB = 0;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    gc();
    const before = process.memoryUsage();
    const t0 = performance.now();
    value = fn();
    times.push(performance.now() - t0);
    if (i === 0) {
      const after = process.memoryUsage();
      heapDeltaMB = (after.heapUsed + after.external - before.heapUsed - before.external) / MB;
    }
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]!;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${label.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms  (min ${times[0]!.toFixed(1)})  heap+ext Δ ${heapDeltaMB
      .toFixed(1)
      .padStart(7)} MB  peak RSS ${peakRssMB.toFixed(0)} MB  → ${show(value as T)}`,
  );
  return { ms, minMs: times[0]!, heapDeltaMB, peakRssMB };
}

const fmt = (v: number | null): string => (v === null ? 'null' : v.toFixed(6));

/** Units × raters, 5 categories 1..5, each rating the unit's truth with probability 0.7, 10 % missing. */
function ratingsData(random: Random, units: number, raters: number): (number | null)[][] {
  const out: (number | null)[][] = new Array(units);
  for (let u = 0; u < units; u++) {
    const truth = 1 + random.int(5);
    const row: (number | null)[] = new Array(raters);
    for (let r = 0; r < raters; r++) {
      row[r] = random.next() < 0.1 ? null : random.next() < 0.7 ? truth : 1 + random.int(5);
    }
    out[u] = row;
  }
  return out;
}

function section(title: string): void {
  console.log(`\n## ${title}`);
}

const units = Math.round(1_000_000 * scale);
console.log(`@accord/metrics benchmark — node ${process.version}, scale ${scale}`);

section(`Agreement on ${units.toLocaleString('en')} units × 5 raters, 10 % missing`);
const ratings = ratingsData(createRandom(1), units, 5);
gc();
console.log(`data: ${(process.memoryUsage().heapUsed / MB).toFixed(0)} MB heap`);
measure('encodeRatings (labels → Int32Array codes)', () => encodeRatings(ratings), 3, (e) => `${e.categories.length} categories`);
const enc = encodeRatings(ratings);
const fast: Record<string, number> = {};
for (const level of ['nominal', 'ordinal', 'interval'] as const) {
  fast[level] = measure(`krippendorffAlpha ${level} (from Ratings)`, () => krippendorffAlpha(ratings, { level }), 5, fmt).minMs;
  measure(`krippendorffAlpha ${level} (pre-encoded)`, () => krippendorffAlpha(enc, { level }), 5, fmt);
}
measure('krippendorffAlpha ratio (from Ratings)', () => krippendorffAlpha(ratings, { level: 'ratio' }), 3, fmt);
measure('fleissKappa (from Ratings)', () => fleissKappa(ratings), 3, (f) => `κ ${fmt(f.kappa)}, Conger ${fmt(f.kappaConger)}, units ${f.unitsUsed}`);
measure('fleissKappa (pre-encoded)', () => fleissKappa(enc), 3, (f) => `κ ${fmt(f.kappa)}`);
measure('percentAgreement (from Ratings)', () => percentAgreement(ratings), 3, (p) => `P̄ ${fmt(p.meanPairwise)}, avail ${fmt(p.meanPairwiseAvailable)}`);
measure('percentAgreement tolerance 1 (from Ratings)', () => percentAgreement(ratings, { tolerance: 1 }), 3, (p) => `P̄ ${fmt(p.meanPairwise)}`);
measure('majorityVote (from Ratings, one object per unit)', () => majorityVote(ratings), 3, (v) => `${v.filter((x) => x.isTie).length} ties`);

section('Linearity: krippendorffAlpha from Ratings, time per unit');
for (const level of ['nominal', 'ordinal', 'interval'] as const) {
  const rows: string[] = [];
  for (const n of [units / 4, units / 2, units].map(Math.round)) {
    const part = ratings.slice(0, n);
    const { minMs } = measure(`  ${level} ${n.toLocaleString('en')} units`, () => krippendorffAlpha(part, { level }), 5, fmt);
    rows.push(`${((minMs / n) * 1e6).toFixed(0)} ns/unit`);
  }
  console.log(`  ${level} (min of 5): ${rows.join(' · ')}`);
}

section('Baseline: textbook coincidence-matrix alpha (test/textbook.ts), same data');
for (const level of ['nominal', 'ordinal', 'interval'] as const) {
  const { ms } = measure(`textbookAlpha ${level}`, () => textbookAlpha(ratings, level), 1, fmt);
  console.log(`  textbook / krippendorffAlpha from Ratings (min of 5): ${(ms / fast[level]!).toFixed(1)}×`);
}

section('Dawid–Skene: 100,000 items × 200 raters × 5 classes, 5 raters per item');
{
  // Each item gets 5 distinct raters drawn uniformly from 200 (≈ 2,500 labels per rater); rater r is
  // correct with probability 0.55..0.95, otherwise says a uniformly chosen wrong class.
  const random = createRandom(2);
  const items = Math.round(100_000 * scale);
  const accuracy = Array.from({ length: 200 }, () => 0.55 + 0.4 * random.next());
  const truth = new Int32Array(items);
  const responses: Response[] = [];
  for (let i = 0; i < items; i++) {
    truth[i] = random.int(5);
    const chosen = new Set<number>();
    while (chosen.size < 5) chosen.add(random.int(200));
    for (const r of chosen) {
      const correct = random.next() < accuracy[r]!;
      const label = correct ? truth[i]! : (truth[i]! + 1 + random.int(4)) % 5;
      responses.push([i, r, label]);
    }
  }
  const classes = [0, 1, 2, 3, 4];
  measure(
    `dawidSkene (${responses.length.toLocaleString('en')} labels, vote-proportions)`,
    () => dawidSkene(responses, { classes, init: 'vote-proportions' }),
    1,
    (ds) => {
      const right = ds.labels.filter((l, i) => l === truth[ds.items[i] as number]).length;
      return `${ds.iterations} iterations, converged ${ds.converged}, accuracy ${(right / items).toFixed(4)}`;
    },
  );
}

section('Bradley–Terry: 100 models, 1,000,000 comparisons (10 % ties)');
{
  const random = createRandom(3);
  const models = Array.from({ length: 100 }, (_, i) => `model-${String(i).padStart(3, '0')}`);
  // True log-strengths ~ N(0, 1) by Box–Muller.
  const theta = models.map(() => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next()));
  const n = Math.round(1_000_000 * scale);
  const comparisons: Comparison[] = new Array(n);
  for (let c = 0; c < n; c++) {
    const i = random.int(100);
    let j = random.int(99);
    if (j >= i) j++;
    const outcome = random.next() < 0.1 ? 'tie' : random.next() < 1 / (1 + Math.exp(theta[j]! - theta[i]!)) ? 'first' : 'second';
    comparisons[c] = [models[i]!, models[j]!, outcome];
  }
  measure('pairwiseCounts (aggregate the comparisons)', () => pairwiseCounts(comparisons, models), 3, () => 'ok');
  const input = pairwiseCounts(comparisons, models);
  measure('bradleyTerry Newton', () => bradleyTerry(input), 3, (bt) => {
    // Ties (10 %, independent of strength) pull the fitted scale in, so compare orders, not values.
    return `${bt.iterations} iterations, Spearman(θ̂, θ) ${fmt(spearmanRho(bt.logStrengths!, theta))}`;
  });
  measure('bradleyTerry MM (Evalica settings: tol 1e-6, ≤ 100 iterations)', () => bradleyTerry(input, { method: 'mm', tolerance: 1e-6, maxIterations: 100 }), 3, (bt) => `${bt.iterations} iterations`);
  measure('bradleyTerryBootstrap, 20 resamples of 1,000,000', () => bradleyTerryBootstrap(input, { seed: 4, samples: 20 }), 1, (b) => {
    const widths = b.logStrengths.map((iv) => iv!.upper - iv!.lower);
    return `mean 95 % interval width ${(widths.reduce((a, x) => a + x, 0) / widths.length).toFixed(4)} (log scale)`;
  });
}
