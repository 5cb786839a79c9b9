import { describe, expect, it } from 'vitest';
import type { Leaderboard } from '@accord/core';
import { ciText, escapeHtml, heatmapAnnotators, leaderboardMax, leaderboardTable, pText, sortAnnotators, type Annotator } from './figures.ts';

const fig = (value: number | null, n = 10) => ({ value, n, ci: null });

function annotator(id: string, name: string, o: Partial<Annotator> = {}): Annotator {
  return {
    annotator: id,
    name,
    kind: 'human',
    role: 'trainer',
    active: true,
    judgments: 10,
    kappaVsConsensus: fig(0.5),
    goldAccuracy: fig(null, 0),
    positionBias: { firstShare: 0.5, n: 10, p: 1 },
    tieRate: 0.1,
    lengthBias: { longerShare: null, consensusLongerShare: null, n: 0 },
    medianSeconds: 30,
    justificationLength: null,
    drift: [],
    flags: [],
    peers: [],
    ...o,
  };
}

describe('sortAnnotators', () => {
  const list = [
    annotator('1', 'bea', { judgments: 5, kappaVsConsensus: fig(0.2) }),
    annotator('2', 'Al', { judgments: 50, kappaVsConsensus: fig(null) }),
    annotator('3', 'cy', { judgments: 20, kappaVsConsensus: fig(0.9), positionBias: { firstShare: 0.1, n: 10, p: 0.01 } }),
  ];
  it('sorts by a figure either way, undefined figures last', () => {
    expect(sortAnnotators(list, 'kappa', 'desc').map((a) => a.name)).toEqual(['cy', 'bea', 'Al']);
    expect(sortAnnotators(list, 'kappa', 'asc').map((a) => a.name)).toEqual(['bea', 'cy', 'Al']);
  });
  it('sorts names without regard to case, and position bias by distance from one half', () => {
    expect(sortAnnotators(list, 'name', 'asc').map((a) => a.name)).toEqual(['Al', 'bea', 'cy']);
    expect(sortAnnotators(list, 'firstShare', 'desc')[0]!.name).toBe('cy');
    expect(sortAnnotators(list, 'judgments', 'desc').map((a) => a.judgments)).toEqual([50, 20, 5]);
  });
});

describe('heatmapAnnotators', () => {
  it('keeps the most active annotators who share items, people before model judges', () => {
    const peer = [{ annotator: 'x', kappa: 0.5, shared: 3 }];
    const list = [
      annotator('a', 'a', { judgments: 1, peers: peer }),
      annotator('m', 'judge', { judgments: 99, kind: 'model', peers: peer }),
      annotator('b', 'b', { judgments: 50, peers: peer }),
      annotator('c', 'c', { judgments: 70, peers: [] }),
    ];
    expect(heatmapAnnotators(list, 2).map((a) => a.annotator)).toEqual(['b', 'm']);
    expect(heatmapAnnotators(list, null).map((a) => a.annotator)).toEqual(['b', 'a', 'm']);
  });
});

describe('tables and text', () => {
  it('the leaderboard table keeps full precision and the rank', () => {
    const lb: Leaderboard = {
      from: 'judgments',
      models: [{ model: '=evil', strength: 0.123456789, ci: [0.1, 0.15], comparisons: 10, wins: 5, ties: 2, losses: 3 }],
      comparisons: 10,
      bootstrapSamples: 200,
      computedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(leaderboardTable(lb, 'p').rows).toEqual([[1, '=evil', 0.123456789, 0.1, 0.15, 10, 5, 2, 3]]);
    expect(leaderboardTable(lb, 'p').name).toBe('p-leaderboard-judgments');
    // The axis reaches the largest interval end (whiskers are not in ECharts' extent), in tenths.
    expect(leaderboardMax(lb)).toBe(0.2);
    expect(leaderboardMax({ ...lb, models: [{ ...lb.models[0]!, strength: 0.25, ci: [0.02, 0.71] }] })).toBe(0.8);
    expect(leaderboardMax({ ...lb, models: [{ ...lb.models[0]!, strength: 0.5, ci: null }] })).toBe(0.5);
    expect(leaderboardMax({ ...lb, models: [] })).toBe(0.1);
  });
  it('escapes names put into tooltips', () => {
    expect(escapeHtml(`<img src=x onerror="a">'&`)).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&#39;&amp;');
  });
  it('formats intervals and p-values', () => {
    expect(ciText([0.1234, 0.5])).toBe('[0.123, 0.500]');
    expect(ciText(null)).toBe('');
    expect(pText(0.0004)).toBe('< 0.001');
    expect(pText(null)).toBe('—');
  });
});
