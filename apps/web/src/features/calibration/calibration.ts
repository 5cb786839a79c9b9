/** Labels and small helpers of the calibration pages (pure, unit-tested). */
import type { CalibrationFigure, CalibrationPhase } from '@accord/core';

export function phaseLabel(p: CalibrationPhase): string {
  return { lobby: 'Waiting to start', judging: 'Blind round', revealed: 'Revealed · discussion', ended: 'Ended' }[p];
}

export function phaseTone(p: CalibrationPhase): string {
  return {
    lobby: 'border-slate-200 bg-slate-50 text-slate-700',
    judging: 'border-amber-200 bg-amber-50 text-amber-800',
    revealed: 'border-brand-200 bg-brand-50 text-brand-700',
    ended: 'border-emerald-200 bg-emerald-50 text-emerald-700',
  }[p];
}

export function statisticName(s: CalibrationFigure['statistic']): string {
  return { 'alpha-ordinal': 'Krippendorff’s α (ordinal)', 'alpha-nominal': 'Krippendorff’s α (nominal)', 'alpha-masi': 'Krippendorff’s α (MASI, label sets)', 'kendall-w': 'Kendall’s W', 'span-f1': 'Span overlap F1' }[s];
}

/** "0.42 (0.10 – 0.71)"; "not meaningful with one item" when the statistic does not apply; "—" when not defined. */
export function figureText(f: (Pick<CalibrationFigure, 'value' | 'ci'> & { reason?: CalibrationFigure['reason'] | undefined }) | null | undefined): string {
  if (f?.reason === 'one-item') return 'not meaningful with one item';
  if (f?.reason === 'free-text') return 'written texts: compare them side by side';
  if (!f || f.value === null) return '—';
  const v = f.value.toFixed(2);
  return f.ci ? `${v} (${f.ci[0].toFixed(2)} – ${f.ci[1].toFixed(2)})` : v;
}

export function shareText(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`;
}

/** The preference values −3…3 as words, naming the responses by the item's own order. */
export function preferenceWord(value: number): string {
  if (value === 0) return 'Tie';
  const strength = ['', 'slightly', 'clearly', 'much'][Math.abs(value)] ?? '';
  return `Response ${value < 0 ? 1 : 2} ${strength} better`;
}
