/**
 * The dashboard's charts as data: for each chart, the table of its numbers (shown by the table view
 * and downloaded as CSV, so both say exactly the same) and the ECharts option that draws it. Pure
 * functions of the API's answers and the theme's palette; the components only lay them out.
 * Every name in a tooltip or label is untrusted (members and models are named by importers): the
 * HTML tooltips escape them.
 */
import type { AnnotatorStats, Figure, Leaderboard, MyStats, ProjectAgreement } from '@accord/core';
import type { EChartsOption } from 'echarts';
import type { CsvTable } from './csv.ts';
import type { Palette } from './charts/palette.ts';

export type Annotator = AnnotatorStats;

// ---------------------------------------------------------------- formatting

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A figure's value for display: `0.731`, or an em dash when undefined. */
export function num(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

export function pct(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(digits)}%`;
}

/** `[0.61, 0.78]`, or an empty string without an interval. */
export function ciText(ci: readonly [number, number] | null | undefined, digits = 3): string {
  return ci ? `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]` : '';
}

/** A binomial p-value for display: `0.012`, `< 0.001`. */
export function pText(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value < 90) return `${Math.round(value)} s`;
  return `${(value / 60).toFixed(1)} min`;
}

/** Kinds are marked in every chart: model judges apart from people. */
export function kindLabel(kind: 'human' | 'model'): string {
  return kind === 'model' ? 'model judge' : 'human';
}

const lo = (f: Figure | null | undefined): number | null => f?.ci?.[0] ?? null;
const hi = (f: Figure | null | undefined): number | null => f?.ci?.[1] ?? null;

function axisStyle(p: Palette) {
  return {
    axisLine: { lineStyle: { color: p.axis } },
    axisTick: { lineStyle: { color: p.axis } },
    axisLabel: { color: p.muted, fontSize: 11 },
    splitLine: { lineStyle: { color: p.grid } },
    nameTextStyle: { color: p.muted, fontSize: 11 },
  };
}

function tooltipStyle(p: Palette) {
  return {
    confine: true,
    backgroundColor: p.surface,
    borderColor: p.axis,
    textStyle: { color: p.text, fontSize: 12 },
    extraCssText: 'box-shadow: 0 4px 12px rgba(0,0,0,.12); border-radius: 6px;',
  };
}

/** A horizontal whisker (the 95% interval) with caps, drawn by a custom series: data `[lo, hi, categoryIndex]`. */
function whiskers(name: string, data: (number | null)[][], color: string, offset = 0) {
  return {
    type: 'custom' as const,
    name,
    silent: true,
    z: 1,
    encode: { x: [0, 1], y: 2 },
    data,
    renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (v: number[]) => number[] }) => {
      const a = api.value(0);
      const b = api.value(1);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
      const y = api.value(2);
      const [x1, y1] = api.coord([a, y]) as [number, number];
      const [x2] = api.coord([b, y]) as [number, number];
      const yy = y1 + offset;
      const style = { stroke: color, lineWidth: 1.5 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1, y1: yy, x2, y2: yy }, style },
          { type: 'line', shape: { x1, y1: yy - 4, x2: x1, y2: yy + 4 }, style },
          { type: 'line', shape: { x1: x2, y1: yy - 4, x2, y2: yy + 4 }, style },
        ],
      };
    },
  };
}

/** Pixels a horizontal chart needs for `rows` categories. */
export function rowsHeight(rows: number, min = 180, per = 26): number {
  return Math.max(min, rows * per + 70);
}

// ---------------------------------------------------------------- leaderboard

export function leaderboardTable(lb: Leaderboard, prefix: string): CsvTable {
  return {
    name: `${prefix}-leaderboard-${lb.from}`,
    headers: ['rank', 'model', 'strength', 'ci_low', 'ci_high', 'comparisons', 'wins', 'ties', 'losses'],
    rows: lb.models.map((m, i) => [i + 1, m.model, m.strength, m.ci?.[0] ?? null, m.ci?.[1] ?? null, m.comparisons, m.wins, m.ties, m.losses]),
  };
}

/** The leaderboard axis's end: the largest strength or interval end, up to the next tenth (at most 1). */
export function leaderboardMax(lb: Leaderboard): number {
  const top = Math.max(0, ...lb.models.map((m) => Math.max(m.strength, m.ci?.[1] ?? 0)));
  return Math.min(1, Math.max(0.1, Math.ceil(top * 10 - 1e-9) / 10));
}

export function leaderboardOption(lb: Leaderboard, p: Palette): EChartsOption {
  const names = lb.models.map((m) => m.model);
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 8, bottom: 28, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const i = (params as { dataIndex: number }).dataIndex;
        const m = lb.models[i];
        if (!m) return '';
        return `<b>${escapeHtml(m.model)}</b><br/>strength ${num(m.strength, 4)} ${ciText(m.ci, 4)}<br/>${m.wins} wins · ${m.ties} ties · ${m.losses} losses (${m.comparisons} comparisons)`;
      },
    },
    // The axis holds every interval (the whiskers are not part of ECharts' own extent): strengths
    // and intervals lie in [0, 1], rounded up to the next tenth.
    xAxis: { type: 'value', name: 'Bradley–Terry strength (sums to 1)', nameLocation: 'middle', nameGap: 22, min: 0, max: leaderboardMax(lb), ...axisStyle(p) },
    yAxis: { type: 'category', data: names, inverse: true, ...axisStyle(p), axisLabel: { color: p.text, fontSize: 11, width: 160, overflow: 'truncate' }, splitLine: { show: false } },
    series: [
      whiskers('95% interval', lb.models.map((m, i) => [m.ci?.[0] ?? null, m.ci?.[1] ?? null, i]), p.faint),
      { type: 'scatter', name: 'strength', data: lb.models.map((m, i) => [m.strength, i]), symbolSize: 9, itemStyle: { color: p.brand }, z: 2 },
    ] as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- agreement per dimension

export interface DimensionRow {
  name: string;
  target: string;
  judgments: number | null;
  ordinal: Figure;
  nominal: Figure;
  percentAgreement: Figure;
  fleissKappa: Figure | null;
}

/** The overall preference first, then each rubric dimension. */
export function dimensionRows(a: ProjectAgreement): DimensionRow[] {
  const overall: DimensionRow = {
    name: a.taskKind === 'rating' ? 'Overall rating' : a.taskKind === 'classification' ? 'Overall label set' : 'Overall preference',
    target: a.taskKind === 'pairwise' ? 'comparison' : a.taskKind,
    judgments: a.judgments,
    ordinal: a.overall.alpha.ordinal,
    nominal: a.overall.alpha.nominal,
    percentAgreement: a.overall.percentAgreement,
    fleissKappa: a.overall.fleissKappa,
  };
  return [
    overall,
    ...a.dimensions.map((d) => ({
      name: d.name,
      target: d.target,
      judgments: d.judgments,
      ordinal: d.alpha.ordinal,
      nominal: d.alpha.nominal,
      percentAgreement: d.percentAgreement,
      fleissKappa: d.fleissKappa,
    })),
  ];
}

export function dimensionTable(rows: DimensionRow[], prefix: string): CsvTable {
  return {
    name: `${prefix}-agreement-by-dimension`,
    headers: ['dimension', 'target', 'judgments', 'alpha_ordinal', 'ordinal_ci_low', 'ordinal_ci_high', 'ordinal_n', 'alpha_nominal', 'nominal_ci_low', 'nominal_ci_high', 'nominal_n', 'percent_agreement', 'fleiss_kappa'],
    rows: rows.map((r) => [
      r.name,
      r.target,
      r.judgments,
      r.ordinal.value,
      lo(r.ordinal),
      hi(r.ordinal),
      r.ordinal.n,
      r.nominal.value,
      lo(r.nominal),
      hi(r.nominal),
      r.nominal.n,
      r.percentAgreement.value,
      r.fleissKappa?.value ?? null,
    ]),
  };
}

export function dimensionOption(rows: DimensionRow[], p: Palette, nominalOnly = false): EChartsOption {
  const names = rows.map((r) => r.name);
  const point = (f: Figure, i: number) => [f.value, i];
  if (nominalOnly) {
    const o = dimensionOption(rows, p);
    const series = (o.series as { name?: string }[]).filter((x) => !x.name?.startsWith('α ordinal'));
    return { ...o, legend: { ...(o.legend as object), data: ['α nominal'] }, series: series as EChartsOption['series'] };
  }
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 30, bottom: 28, containLabel: true },
    legend: { top: 0, right: 0, itemWidth: 10, itemHeight: 10, textStyle: { color: p.muted, fontSize: 11 }, data: ['α ordinal', 'α nominal'] },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const { dataIndex, seriesName } = params as { dataIndex: number; seriesName: string };
        const r = rows[dataIndex];
        if (!r) return '';
        const f = seriesName === 'α ordinal' ? r.ordinal : r.nominal;
        return `<b>${escapeHtml(r.name)}</b><br/>${seriesName} ${num(f.value)} ${ciText(f.ci)}<br/>n = ${f.n.toLocaleString()}`;
      },
    },
    xAxis: { type: 'value', name: "Krippendorff's α (95% interval)", nameLocation: 'middle', nameGap: 22, max: 1, ...axisStyle(p) },
    yAxis: { type: 'category', data: names, inverse: true, ...axisStyle(p), axisLabel: { color: p.text, fontSize: 11, width: 150, overflow: 'truncate' }, splitLine: { show: false } },
    series: [
      whiskers('α ordinal interval', rows.map((r, i) => [lo(r.ordinal), hi(r.ordinal), i]), p.brand, -5),
      whiskers('α nominal interval', rows.map((r, i) => [lo(r.nominal), hi(r.nominal), i]), p.warn, 5),
      { type: 'scatter', name: 'α ordinal', data: rows.map((r, i) => point(r.ordinal, i)), symbolSize: 9, symbolOffset: [0, -5], itemStyle: { color: p.brand }, z: 2 },
      { type: 'scatter', name: 'α nominal', data: rows.map((r, i) => point(r.nominal, i)), symbol: 'diamond', symbolSize: 10, symbolOffset: [0, 5], itemStyle: { color: p.warn }, z: 2 },
      {
        type: 'line',
        name: 'zero',
        data: [],
        silent: true,
        markLine: { silent: true, symbol: 'none', lineStyle: { color: p.axis, type: 'dashed' }, label: { show: false }, data: [{ xAxis: 0 }] },
      },
    ] as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- per label (classification)

/** A classification project's labels as chart rows: α nominal of each label chosen or not. */
export function labelRows(a: ProjectAgreement): DimensionRow[] {
  const none = (n: number): Figure => ({ value: null, n, ci: null });
  return (a.labels ?? []).map((l) => ({ name: l.name, target: 'label', judgments: l.picked, ordinal: none(l.alpha.n), nominal: l.alpha, percentAgreement: none(l.alpha.n), fleissKappa: null }));
}

export function labelTable(a: ProjectAgreement, prefix: string): CsvTable {
  return {
    name: `${prefix}-agreement-by-label`,
    headers: ['label', 'name', 'picked', 'alpha_nominal', 'ci_low', 'ci_high', 'n'],
    rows: (a.labels ?? []).map((l) => [l.label, l.name, l.picked, l.alpha.value, lo(l.alpha), hi(l.alpha), l.alpha.n]),
  };
}

// ---------------------------------------------------------------- over time and by version

export function overTimeTable(a: ProjectAgreement, prefix: string): CsvTable {
  return {
    name: `${prefix}-agreement-over-time`,
    headers: ['period', 'start', 'end', 'judgments', 'items', 'alpha_nominal', 'nominal_ci_low', 'nominal_ci_high', 'alpha_ordinal', 'ordinal_ci_low', 'ordinal_ci_high', 'percent_agreement'],
    rows: a.overTime.map((t) => [
      t.period === 'week' ? 'week' : 'since calibration',
      t.start,
      t.end,
      t.judgments,
      t.items,
      t.alpha.nominal.value,
      lo(t.alpha.nominal),
      hi(t.alpha.nominal),
      t.alpha.ordinal.value,
      lo(t.alpha.ordinal),
      hi(t.alpha.ordinal),
      t.percentAgreement.value,
    ]),
  };
}

/** "30 Nov", the day-month order of every other date in the app (lib/ui/format.ts), whatever the browser's locale. */
const weekFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric' });

export function overTimeOption(a: ProjectAgreement, p: Palette): EChartsOption {
  const weeks = a.overTime.filter((t) => t.period === 'week');
  const labels = weeks.map((t) => weekFmt.format(new Date(t.start)));
  const band = (f: (t: (typeof weeks)[number]) => Figure) => ({
    low: weeks.map((t) => lo(f(t))),
    width: weeks.map((t) => (lo(f(t)) === null || hi(f(t)) === null ? null : hi(f(t))! - lo(f(t))!)),
  });
  const nominal = band((t) => t.alpha.nominal);
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: p.muted, fontSize: 11 }, data: ['α nominal', 'α ordinal', '% agreement'] },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'axis',
      formatter: (params: unknown) => {
        const first = (params as { dataIndex: number }[])[0];
        const t = first ? weeks[first.dataIndex] : undefined;
        if (!t) return '';
        return `<b>Week of ${escapeHtml(weekFmt.format(new Date(t.start)))}</b><br/>α nominal ${num(t.alpha.nominal.value)} ${ciText(t.alpha.nominal.ci)}<br/>α ordinal ${num(t.alpha.ordinal.value)}<br/>% agreement ${pct(t.percentAgreement.value, 1)}<br/>${t.judgments.toLocaleString()} judgments · ${t.items.toLocaleString()} items`;
      },
    },
    xAxis: { type: 'category', data: labels, boundaryGap: false, ...axisStyle(p) },
    yAxis: { type: 'value', max: 1, ...axisStyle(p) },
    series: [
      { type: 'line', name: 'ci-low', data: nominal.low, stack: 'ci', stackStrategy: 'all', lineStyle: { opacity: 0 }, symbol: 'none', silent: true, tooltip: { show: false } },
      { type: 'line', name: 'ci-band', data: nominal.width, stack: 'ci', stackStrategy: 'all', lineStyle: { opacity: 0 }, symbol: 'none', silent: true, areaStyle: { color: p.brand, opacity: 0.12 }, tooltip: { show: false } },
      { type: 'line', name: 'α nominal', data: weeks.map((t) => t.alpha.nominal.value), itemStyle: { color: p.brand }, symbolSize: 6, connectNulls: false },
      { type: 'line', name: 'α ordinal', data: weeks.map((t) => t.alpha.ordinal.value), itemStyle: { color: p.good }, symbolSize: 6, lineStyle: { type: 'dashed' } },
      { type: 'line', name: '% agreement', data: weeks.map((t) => t.percentAgreement.value), itemStyle: { color: p.faint }, symbolSize: 4, lineStyle: { width: 1 } },
    ] as EChartsOption['series'],
  };
}

export function byVersionTable(a: ProjectAgreement, prefix: string): CsvTable {
  return {
    name: `${prefix}-agreement-by-rubric-version`,
    headers: ['rubric_version', 'judgments', 'items', 'alpha_nominal', 'nominal_ci_low', 'nominal_ci_high', 'alpha_ordinal', 'ordinal_ci_low', 'ordinal_ci_high', 'percent_agreement', 'fleiss_kappa'],
    rows: a.byVersion.map((v) => [
      v.rubricVersion === null ? 'none (imported)' : `v${v.rubricVersion}`,
      v.judgments,
      v.items,
      v.alpha.nominal.value,
      lo(v.alpha.nominal),
      hi(v.alpha.nominal),
      v.alpha.ordinal.value,
      lo(v.alpha.ordinal),
      hi(v.alpha.ordinal),
      v.percentAgreement.value,
      v.fleissKappa?.value ?? null,
    ]),
  };
}

// ---------------------------------------------------------------- distribution of preferences

const GRADED_LABELS: Record<number, string> = {
  [-3]: 'First much better',
  [-2]: 'First better',
  [-1]: 'First slightly better',
  0: 'Tie',
  1: 'Second slightly better',
  2: 'Second better',
  3: 'Second much better',
};

export function gradedLabel(value: number): string {
  return GRADED_LABELS[value] ?? String(value);
}

export function distributionTable(a: ProjectAgreement, prefix: string): CsvTable {
  const total = a.distribution.graded.reduce((s, g) => s + g.count, 0);
  return {
    name: `${prefix}-preference-distribution`,
    headers: ['value', 'meaning', 'judgments', 'share'],
    rows: [...a.distribution.graded].sort((x, y) => x.value - y.value).map((g) => [g.value, gradedLabel(g.value), g.count, total ? g.count / total : null]),
  };
}

export function distributionOption(a: ProjectAgreement, p: Palette): EChartsOption {
  const graded = [...a.distribution.graded].sort((x, y) => x.value - y.value);
  const total = graded.reduce((s, g) => s + g.count, 0);
  const colour = (v: number) => (v < 0 ? p.brand : v > 0 ? p.good : p.faint);
  return {
    animation: false,
    grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const g = graded[(params as { dataIndex: number }).dataIndex];
        return g ? `<b>${escapeHtml(gradedLabel(g.value))}</b> (${g.value > 0 ? '+' : ''}${g.value})<br/>${g.count.toLocaleString()} judgments · ${pct(total ? g.count / total : null, 1)}` : '';
      },
    },
    xAxis: { type: 'category', data: graded.map((g) => (g.value > 0 ? `+${g.value}` : String(g.value))), ...axisStyle(p), name: '← first better · second better →', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', ...axisStyle(p) },
    series: [
      {
        type: 'bar',
        name: 'judgments',
        data: graded.map((g) => ({ value: g.count, itemStyle: { color: colour(g.value), borderRadius: [3, 3, 0, 0] } })),
        barMaxWidth: 48,
        label: { show: true, position: 'top', color: p.muted, fontSize: 10, formatter: (x: unknown) => pct(total ? (x as { value: number }).value / total : null) },
      },
    ] as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- peer κ heat map

/** The annotators of the heat map: the `limit` with the most judgments (all when null), humans first. */
export function heatmapAnnotators(annotators: readonly Annotator[], limit: number | null): Annotator[] {
  const withPeers = annotators.filter((a) => a.peers.length > 0);
  const top = [...withPeers].sort((x, y) => y.judgments - x.judgments || x.name.localeCompare(y.name));
  const chosen = limit === null ? top : top.slice(0, limit);
  return chosen.sort((x, y) => (x.kind === y.kind ? y.judgments - x.judgments || x.name.localeCompare(y.name) : x.kind === 'human' ? -1 : 1));
}

export function peerTable(annotators: readonly Annotator[], prefix: string): CsvTable {
  const byId = new Map(annotators.map((a) => [a.annotator, a]));
  const rows: (string | number | null)[][] = [];
  for (const a of annotators)
    for (const peer of a.peers) {
      const b = byId.get(peer.annotator);
      rows.push([a.name, a.kind, b?.name ?? peer.annotator, b?.kind ?? '', peer.kappa, peer.shared]);
    }
  return { name: `${prefix}-peer-kappa`, headers: ['annotator', 'kind', 'peer', 'peer_kind', 'cohen_kappa', 'shared_items'], rows };
}

export function heatmapOption(shown: readonly Annotator[], p: Palette): EChartsOption {
  const index = new Map(shown.map((a, i) => [a.annotator, i]));
  const data: [number, number, number | null, number][] = [];
  for (const a of shown) {
    const i = index.get(a.annotator)!;
    for (const peer of a.peers) {
      const j = index.get(peer.annotator);
      if (j !== undefined) data.push([j, i, peer.kappa, peer.shared]);
    }
  }
  const label = (i: number) => {
    const a = shown[i];
    return a ? `{${a.kind === 'model' ? 'm' : 'h'}|●} ${a.name}` : '';
  };
  const rich = { m: { color: p.model, fontSize: 10 }, h: { color: p.human, fontSize: 10 } };
  const small = shown.length > 30;
  return {
    animation: false,
    grid: { left: 8, right: 70, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const [x, y, kappa, shared] = (params as { data: [number, number, number | null, number] }).data;
        const a = shown[y];
        const b = shown[x];
        if (!a || !b) return '';
        return `<b>${escapeHtml(a.name)}</b> (${kindLabel(a.kind)})<br/>× <b>${escapeHtml(b.name)}</b> (${kindLabel(b.kind)})<br/>Cohen's κ ${num(kappa)} over ${shared.toLocaleString()} shared items`;
      },
    },
    xAxis: {
      type: 'category',
      data: shown.map((_, i) => i),
      ...axisStyle(p),
      splitLine: { show: false },
      axisLabel: { formatter: (v: string) => label(Number(v)), rich, color: p.text, fontSize: 10, rotate: 60, width: 110, overflow: 'truncate', interval: 0, show: !small || shown.length <= 60 },
    },
    yAxis: {
      type: 'category',
      data: shown.map((_, i) => i),
      inverse: true,
      ...axisStyle(p),
      splitLine: { show: false },
      axisLabel: { formatter: (v: string) => label(Number(v)), rich, color: p.text, fontSize: 10, width: 130, overflow: 'truncate', interval: 0, show: !small || shown.length <= 60 },
    },
    visualMap: {
      type: 'continuous',
      min: -1,
      max: 1,
      dimension: 2,
      calculable: false,
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 10,
      text: ['κ 1', '−1'],
      textStyle: { color: p.muted, fontSize: 10 },
      inRange: { color: p.diverging },
    },
    series: [
      {
        type: 'heatmap',
        name: "Cohen's κ",
        // Drawn in one pass (no progressive chunks): a screenshot or a print never catches it half drawn.
        progressive: 0,
        data: data.filter((d) => d[2] !== null),
        itemStyle: { borderColor: p.surface, borderWidth: small ? 0.5 : 1 },
        label: { show: !small, fontSize: 9, color: p.text, formatter: (x: unknown) => num((x as { data: [number, number, number] }).data[2], 2) },
        emphasis: { itemStyle: { borderColor: p.text, borderWidth: 1 } },
      },
    ] as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- drift

export interface DriftLine {
  name: string;
  kind: 'human' | 'model';
  drift: Annotator['drift'];
}

export function driftTable(lines: readonly DriftLine[], prefix: string): CsvTable {
  return {
    name: `${prefix}-drift`,
    headers: ['annotator', 'kind', 'judgments', 'at', 'agreement_with_consensus', 'window_n'],
    rows: lines.flatMap((l) => l.drift.map((d) => [l.name, l.kind, d.judgments, d.at, d.value, d.n])),
  };
}

export function driftOption(lines: readonly DriftLine[], p: Palette, threshold: number | null = null): EChartsOption {
  return {
    animation: false,
    color: p.series,
    grid: { left: 8, right: 16, top: lines.length > 1 ? 34 : 12, bottom: 28, containLabel: true },
    legend: lines.length > 1 ? { type: 'scroll', top: 0, textStyle: { color: p.muted, fontSize: 11 }, pageTextStyle: { color: p.muted }, itemWidth: 14, itemHeight: 8 } : undefined,
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesIndex, dataIndex } = params as { seriesIndex: number; dataIndex: number };
        const l = lines[seriesIndex];
        const d = l?.drift[dataIndex];
        if (!l || !d) return '';
        return `<b>${escapeHtml(l.name)}</b> (${kindLabel(l.kind)})<br/>after ${d.judgments.toLocaleString()} judgments: ${pct(d.value, 1)} agree with consensus<br/>over the last ${d.n.toLocaleString()}`;
      },
    },
    xAxis: { type: 'value', name: 'Judgments submitted', nameLocation: 'middle', nameGap: 22, minInterval: 1, min: 'dataMin', max: 'dataMax', ...axisStyle(p) },
    yAxis: { type: 'value', min: 0, max: 1, ...axisStyle(p), axisLabel: { color: p.muted, fontSize: 11, formatter: (v: number) => pct(v) } },
    series: lines.map((l, i) => ({
      type: 'line' as const,
      name: l.name,
      data: l.drift.map((d) => [d.judgments, d.value]),
      showSymbol: l.drift.length < 40,
      symbolSize: 5,
      lineStyle: { width: 2, type: l.kind === 'model' ? ('dashed' as const) : ('solid' as const) },
      markLine:
        i === 0 && threshold !== null
          ? { silent: true, symbol: 'none', lineStyle: { color: p.bad, type: 'dotted' as const }, label: { color: p.bad, fontSize: 10, formatter: 'threshold' }, data: [{ yAxis: threshold }] }
          : undefined,
    })) as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- position bias

export function positionRows(annotators: readonly Annotator[]): Annotator[] {
  return annotators
    .filter((a) => a.positionBias.n > 0 && a.positionBias.firstShare !== null)
    .sort((x, y) => Math.abs(y.positionBias.firstShare! - 0.5) - Math.abs(x.positionBias.firstShare! - 0.5) || y.positionBias.n - x.positionBias.n);
}

export function positionTable(annotators: readonly Annotator[], prefix: string): CsvTable {
  return {
    name: `${prefix}-position-bias`,
    headers: ['annotator', 'kind', 'first_share', 'non_tie_preferences', 'binomial_p', 'tie_rate'],
    rows: annotators.map((a) => [a.name, a.kind, a.positionBias.firstShare, a.positionBias.n, a.positionBias.p, a.tieRate]),
  };
}

/** Below this p, a share of first-shown picks is marked as a bias. */
export const BIAS_P = 0.05;

export function positionOption(rows: readonly Annotator[], p: Palette): EChartsOption {
  return {
    animation: false,
    grid: { left: 8, right: 56, top: 8, bottom: 28, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      trigger: 'item',
      formatter: (params: unknown) => {
        const a = rows[(params as { dataIndex: number }).dataIndex];
        if (!a) return '';
        return `<b>${escapeHtml(a.name)}</b> (${kindLabel(a.kind)})<br/>picked the first-shown response in ${pct(a.positionBias.firstShare, 1)} of ${a.positionBias.n.toLocaleString()} non-tie preferences<br/>binomial p = ${pText(a.positionBias.p)}${(a.positionBias.p ?? 1) < BIAS_P ? ' (biased)' : ''}`;
      },
    },
    xAxis: { type: 'value', min: 0, max: 1, name: 'Share of first-shown picks (0.5 = no bias)', nameLocation: 'middle', nameGap: 22, ...axisStyle(p), axisLabel: { color: p.muted, fontSize: 11, formatter: (v: number) => pct(v) } },
    yAxis: {
      type: 'category',
      data: rows.map((a) => a.annotator),
      inverse: true,
      ...axisStyle(p),
      splitLine: { show: false },
      axisLabel: {
        color: p.text,
        fontSize: 11,
        width: 150,
        overflow: 'truncate',
        interval: 0,
        rich: { m: { color: p.model, fontSize: 10 }, h: { color: p.human, fontSize: 10 } },
        formatter: (id: string) => {
          const a = rows.find((r) => r.annotator === id);
          return a ? `{${a.kind === 'model' ? 'm' : 'h'}|●} ${a.name}` : id;
        },
      },
    },
    series: [
      {
        type: 'bar',
        name: 'first share',
        data: rows.map((a) => ({
          value: a.positionBias.firstShare,
          itemStyle: { color: (a.positionBias.p ?? 1) < BIAS_P ? p.warn : a.kind === 'model' ? p.model : p.human, borderRadius: [0, 3, 3, 0] },
        })),
        barMaxWidth: 14,
        label: { show: true, position: 'right', color: p.muted, fontSize: 10, formatter: (x: unknown) => `p ${pText(rows[(x as { dataIndex: number }).dataIndex]?.positionBias.p)}` },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: p.text, type: 'dashed' }, label: { show: false }, data: [{ xAxis: 0.5 }] },
      },
    ] as EChartsOption['series'],
  };
}

// ---------------------------------------------------------------- the trainer table

export function trainerTable(annotators: readonly Annotator[], prefix: string): CsvTable {
  return {
    name: `${prefix}-annotators`,
    headers: [
      'annotator',
      'kind',
      'role',
      'judgments',
      'kappa_vs_consensus',
      'kappa_ci_low',
      'kappa_ci_high',
      'gold_accuracy',
      'gold_n',
      'first_share',
      'position_p',
      'tie_rate',
      'longer_share',
      'consensus_longer_share',
      'median_seconds',
      'justification_words',
      'open_flags',
    ],
    rows: annotators.map((a) => [
      a.name,
      a.kind,
      a.role,
      a.judgments,
      a.kappaVsConsensus.value,
      lo(a.kappaVsConsensus),
      hi(a.kappaVsConsensus),
      a.goldAccuracy.value,
      a.goldAccuracy.n,
      a.positionBias.firstShare,
      a.positionBias.p,
      a.tieRate,
      a.lengthBias.longerShare,
      a.lengthBias.consensusLongerShare,
      a.medianSeconds,
      a.justificationLength,
      a.flags.map((f) => f.reason).join('; '),
    ]),
  };
}

export const TRAINER_SORT_KEYS = ['name', 'judgments', 'kappa', 'gold', 'firstShare', 'tieRate', 'lengthBias', 'medianSeconds', 'flags'] as const;
export type TrainerSortKey = (typeof TRAINER_SORT_KEYS)[number];

function sortValue(a: Annotator, key: TrainerSortKey): number | string | null {
  switch (key) {
    case 'name':
      return a.name.toLowerCase();
    case 'judgments':
      return a.judgments;
    case 'kappa':
      return a.kappaVsConsensus.value;
    case 'gold':
      return a.goldAccuracy.value;
    case 'firstShare':
      return a.positionBias.firstShare === null ? null : Math.abs(a.positionBias.firstShare - 0.5);
    case 'tieRate':
      return a.tieRate;
    case 'lengthBias':
      return a.lengthBias.longerShare === null ? null : a.lengthBias.longerShare - (a.lengthBias.consensusLongerShare ?? 0);
    case 'medianSeconds':
      return a.medianSeconds;
    case 'flags':
      return a.flags.length;
  }
}

/** Sorted by `key`; undefined figures (null) always last, whatever the order. */
export function sortAnnotators(annotators: readonly Annotator[], key: TrainerSortKey, order: 'asc' | 'desc'): Annotator[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...annotators].sort((x, y) => {
    const a = sortValue(x, key);
    const b = sortValue(y, key);
    if (a === null && b === null) return x.name.localeCompare(y.name);
    if (a === null) return 1;
    if (b === null) return -1;
    const c = typeof a === 'string' || typeof b === 'string' ? String(a).localeCompare(String(b)) : a - b;
    return c !== 0 ? sign * c : x.name.localeCompare(y.name);
  });
}

// ---------------------------------------------------------------- my statistics

export function myDriftTable(me: MyStats, prefix: string): CsvTable {
  return driftTable([{ name: 'me', kind: 'human', drift: me.drift }], `${prefix}-my-drift`);
}

export function myStatsTable(me: MyStats, prefix: string): CsvTable {
  return {
    name: `${prefix}-my-statistics`,
    headers: ['figure', 'value', 'ci_low', 'ci_high', 'n'],
    rows: [
      ['judgments', me.judgments, null, null, null],
      ['agreement_with_consensus', me.agreementWithConsensus.value, lo(me.agreementWithConsensus), hi(me.agreementWithConsensus), me.agreementWithConsensus.n],
      ['kappa_vs_consensus', me.kappaVsConsensus.value, lo(me.kappaVsConsensus), hi(me.kappaVsConsensus), me.kappaVsConsensus.n],
      ['gold_accuracy', me.goldAccuracy.value, lo(me.goldAccuracy), hi(me.goldAccuracy), me.goldAccuracy.n],
      ['first_share', me.positionBias.firstShare, null, null, me.positionBias.n],
      ['position_p', me.positionBias.p, null, null, null],
      ['tie_rate', me.tieRate, null, null, null],
      ['median_seconds', me.medianSeconds, null, null, null],
      ['justification_words', me.justificationLength, null, null, null],
    ],
  };
}
