/**
 * The justification report as data: what each finding is called, the tables behind the dashboard's
 * justification panel (shown by its table view and downloaded as CSV) and the ECharts option of the
 * per-trainer chart. Pure functions of the API's report and the theme's palette; trainer names are
 * untrusted, so the HTML tooltip escapes them.
 */
import { JUSTIFICATION_CHECKS, type JustificationCheck, type JustificationReport } from '@accord/core';
import type { EChartsOption } from 'echarts';
import type { Palette } from './charts/palette.ts';
import type { CsvTable } from './csv.ts';
import { escapeHtml, pct } from './figures.ts';

export type JustificationTrainer = JustificationReport['trainers'][number];

/** Short names for the dashboard (the settings page words them as reasons to refuse). */
export const FINDING_LABELS: Record<JustificationCheck, string> = {
  contradicts: 'Argues for the other response',
  missingDimensions: 'Lowest dimensions not mentioned',
  nearCopy: 'Near-copy',
  pasted: 'Pasted',
};

/** One sentence on each finding, for the tiles' descriptions. */
export const FINDING_HINTS: Record<JustificationCheck, string> = {
  contradicts: 'The text argues for another response than the judgment prefers.',
  missingDimensions: 'The text does not mention the dimensions the trainer scored lowest.',
  nearCopy: 'The text is nearly identical to another justification in this project.',
  pasted: 'Most of the text was pasted rather than typed (as the trainer’s browser counted it).',
};

/** Findings of a trainer's judgments, all kinds together (a judgment with two findings counts twice). */
export function findingsOf(t: Pick<JustificationTrainer, 'findings'>): number {
  return JUSTIFICATION_CHECKS.reduce((s, k) => s + t.findings[k].count, 0);
}

/** Trainers with the most findings first, then by name. */
export function justificationRows(report: JustificationReport): JustificationTrainer[] {
  return [...report.trainers].sort((x, y) => findingsOf(y) - findingsOf(x) || x.name.localeCompare(y.name) || x.email.localeCompare(y.email));
}

export function findingKindTable(report: JustificationReport, prefix: string): CsvTable {
  return {
    name: `${prefix}-justification-findings`,
    headers: ['finding', 'kind', 'judgments', 'share', 'checked', 'blocks_submit'],
    rows: JUSTIFICATION_CHECKS.map((k) => [FINDING_LABELS[k], k, report.totals.findings[k].count, report.totals.findings[k].rate, report.totals.checked, report.block.includes(k)]),
  };
}

/** Column names for the CSV (the table view shows them with spaces). */
const COLUMN: Record<JustificationCheck, string> = { contradicts: 'contradicts', missingDimensions: 'missing_dimensions', nearCopy: 'near_copy', pasted: 'pasted' };

export function findingTrainerTable(rows: readonly JustificationTrainer[], prefix: string): CsvTable {
  return {
    name: `${prefix}-justification-findings-per-trainer`,
    headers: ['trainer', 'checked', ...JUSTIFICATION_CHECKS.flatMap((k) => [COLUMN[k], `${COLUMN[k]}_share`]), 'email'],
    rows: rows.map((t) => [t.name, t.checked, ...JUSTIFICATION_CHECKS.flatMap((k) => [t.findings[k].count, t.findings[k].rate]), t.email]),
  };
}

/** Stacked bars: each trainer's judgments with each finding (kinds that block a submit are marked in the legend). */
export function findingTrainerOption(rows: readonly JustificationTrainer[], block: readonly JustificationCheck[], p: Palette): EChartsOption {
  const name = (k: JustificationCheck) => `${FINDING_LABELS[k]}${block.includes(k) ? ' (blocks)' : ''}`;
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 36, bottom: 28, containLabel: true },
    legend: { top: 0, left: 0, textStyle: { color: p.text, fontSize: 11 }, itemWidth: 12, itemHeight: 10 },
    tooltip: {
      confine: true,
      backgroundColor: p.surface,
      borderColor: p.axis,
      textStyle: { color: p.text, fontSize: 12 },
      extraCssText: 'box-shadow: 0 4px 12px rgba(0,0,0,.12); border-radius: 6px;',
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const first = (params as { dataIndex: number }[])[0];
        const t = first ? rows[first.dataIndex] : undefined;
        if (!t) return '';
        const lines = JUSTIFICATION_CHECKS.map((k) => `${escapeHtml(FINDING_LABELS[k])}: ${t.findings[k].count.toLocaleString()} (${pct(t.findings[k].rate)})`);
        return `<b>${escapeHtml(t.name)}</b><br/>${t.checked.toLocaleString()} judgments checked<br/>${lines.join('<br/>')}`;
      },
    },
    xAxis: {
      type: 'value',
      minInterval: 1,
      name: 'Judgments with the finding',
      nameLocation: 'middle',
      nameGap: 22,
      axisLine: { lineStyle: { color: p.axis } },
      axisTick: { lineStyle: { color: p.axis } },
      axisLabel: { color: p.muted, fontSize: 11 },
      splitLine: { lineStyle: { color: p.grid } },
      nameTextStyle: { color: p.muted, fontSize: 11 },
    },
    yAxis: {
      type: 'category',
      data: rows.map((t) => t.userId),
      inverse: true,
      axisLine: { lineStyle: { color: p.axis } },
      axisTick: { show: false },
      axisLabel: { color: p.text, fontSize: 11, width: 150, overflow: 'truncate', interval: 0, formatter: (id: string) => rows.find((t) => t.userId === id)?.name ?? id },
    },
    series: JUSTIFICATION_CHECKS.map((k, i) => ({
      type: 'bar' as const,
      name: name(k),
      stack: 'findings',
      barMaxWidth: 16,
      itemStyle: { color: p.series[i] ?? p.brand },
      data: rows.map((t) => t.findings[k].count),
    })),
  };
}
