import { describe, expect, it } from 'vitest';
import { dawidSkene, type Response } from './dawid-skene.ts';
import { majorityVote } from './majority.ts';
import { MetricsError } from './labels.ts';
import { anesthesia, snowRteTask, snowTempTask, type SnowTask } from './fixtures/index.ts';

describe('dawidSkene on the Dawid & Skene (1979) anaesthesia data', () => {
  const result = dawidSkene(anesthesia.responses, { classes: [1, 2, 3, 4], init: 'vote-proportions' });

  it('estimates class prevalences (0.40, 0.42, 0.11, 0.07) as commonly cited from the paper', () => {
    expect(result.priors!.map((p) => Number(p.toFixed(2)))).toEqual([0.4, 0.42, 0.11, 0.07]);
    expect(result.converged).toBe(true);
  });

  it('matches the reference EM output of shared/data (MAP class of every patient, posteriors to 1e-8)', () => {
    expect(result.items).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(result.labels).toEqual(anesthesia.reference.mapClass);
    result.priors!.forEach((p, j) => expect(p).toBeCloseTo(anesthesia.reference.classPrevalence[j]!, 8));
    result.posteriors.forEach((row, i) => row.forEach((p, j) => expect(p).toBeCloseTo(anesthesia.reference.posterior[i]![j]!, 8)));
  });

  it('counts the repeated ratings of rater 1 as observations of one confusion matrix', () => {
    expect(result.raters).toEqual([1, 2, 3, 4, 5]);
    for (const matrix of result.errorRates) {
      for (const row of matrix) expect(row!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    // Patient 2: rater 1 said 3,3,3 and raters 2–5 said 4,3,3,4; the model settles on class 4.
    expect(result.labels[1]).toBe(4);
  });

  it('majority-vote initialisation reaches a local optimum no better than vote proportions here', () => {
    const mv = dawidSkene(anesthesia.responses, { classes: [1, 2, 3, 4], init: 'majority-vote' });
    expect(mv.converged).toBe(true);
    expect(mv.logLikelihood).toBeLessThanOrEqual(result.logLikelihood + 1e-9);
  });
});

/** Error against gold; a null (tied) label counts as half wrong, the expected error of a coin flip. */
function errorRate(task: SnowTask, items: readonly unknown[], labels: readonly unknown[]): number {
  let wrong = 0;
  items.forEach((item, i) => {
    const label = labels[i];
    wrong += label === null ? 0.5 : label === task.gold.get(item as string) ? 0 : 1;
  });
  return wrong / items.length;
}

function majorityError(task: SnowTask): number {
  const byItem = new Map<string, number[]>();
  for (const [item, , label] of task.responses) byItem.set(item as string, [...(byItem.get(item as string) ?? []), label as number]);
  const items = [...byItem.keys()];
  return errorRate(task, items, majorityVote([...byItem.values()]).map((v) => v.winner));
}

describe('dawidSkene on Snow et al. (2008), against expert gold', () => {
  it.each([
    ['RTE', snowRteTask, [0, 1], 0.1031, 0.0725],
    ['temporal ordering', snowTempTask, [1, 2], 0.0639, 0.0584],
  ] as const)('%s: majority vote error %f, Dawid–Skene error %f (as cited in the crowdsourcing literature)', (_, task, classes, mvError, dsError) => {
    expect(majorityError(task)).toBeCloseTo(mvError, 4);
    const result = dawidSkene(task.responses, { classes, init: 'vote-proportions' });
    expect(result.converged).toBe(true);
    expect(errorRate(task, result.items, result.labels)).toBeCloseTo(dsError, 4);
  });
});

describe('dawidSkene behaviour', () => {
  const responses: Response[] = [
    ['q1', 'ann', 'yes'],
    ['q1', 'bob', 'yes'],
    ['q2', 'ann', 'no'],
    ['q2', 'bob', 'yes'],
  ];

  it('returns null for a tied posterior rather than picking a class', () => {
    const result = dawidSkene(
      [
        ['x', 'a', 'p'],
        ['x', 'b', 'q'],
      ],
      { classes: ['p', 'q'], init: 'vote-proportions' },
    );
    expect(result.labels).toEqual([null]);
  });

  it('keeps classes in the given order, items and raters in label order', () => {
    const result = dawidSkene(responses, { classes: ['yes', 'no'], init: 'majority-vote', smoothing: 0.01 });
    expect(result.classes).toEqual(['yes', 'no']);
    expect(result.items).toEqual(['q1', 'q2']);
    expect(result.raters).toEqual(['ann', 'bob']);
    expect(result.posteriors.flat().every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(result.logLikelihood)).toBe(true);
  });

  it('rejects labels outside the classes, mixed id types and unknown init', () => {
    expect(() => dawidSkene([['q', 'a', 'maybe']], { classes: ['yes', 'no'], init: 'vote-proportions' })).toThrow(/"maybe" is not one of the classes/);
    expect(() => dawidSkene([['q', 'a', 'yes'], [1, 'a', 'yes']], { classes: ['yes'], init: 'vote-proportions' })).toThrow(/mix strings and numbers/);
    expect(() => dawidSkene(responses, { classes: ['yes', 'no'], init: 'random' as never })).toThrow(MetricsError);
    expect(() => dawidSkene(responses, { classes: [], init: 'vote-proportions' })).toThrow(/classes is empty/);
  });

  it('handles no responses', () => {
    const result = dawidSkene([], { classes: ['a', 'b'], init: 'vote-proportions' });
    expect(result).toMatchObject({ items: [], labels: [], priors: null, posteriors: [] });
  });

  it('reports an error-rate row as null when the rater met no item of that class', () => {
    // Every item is certainly "yes" (smoothing 0), so no rater's "no" row can be estimated.
    const result = dawidSkene(responses.slice(0, 2), { classes: ['yes', 'no'], init: 'vote-proportions' });
    expect(result.errorRates).toEqual([
      [[1, 0], null],
      [[1, 0], null],
    ]);
  });
});
