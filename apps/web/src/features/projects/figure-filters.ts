/**
 * Min/max bounds on an item figure (agreement, spread) as typed into the items table's filters:
 * checked here so that a bad bound is explained beside its field and never sent to the API.
 */

export interface FigureSpec {
  /** The figure's name in messages, e.g. "Agreement". */
  name: string;
  /** Highest value a bound may take, in the units typed (agreement: percent). */
  max: number;
  /** Shown after numbers in messages, e.g. "%". */
  unit?: string;
}

export interface FigureRange {
  /** The bounds to send, in the units typed; undefined when empty or invalid. */
  min?: number;
  max?: number;
  /** What is wrong with the bounds, for people; undefined when they are fine. */
  error?: string;
  minInvalid: boolean;
  maxInvalid: boolean;
}

export const AGREEMENT_SPEC: FigureSpec = { name: 'Agreement', max: 100, unit: '%' };
/** The API's bound on spread (a standard deviation of grades). */
export const SPREAD_SPEC: FigureSpec = { name: 'Spread', max: 100 };

function readBound(text: string, which: 'Minimum' | 'Maximum', spec: FigureSpec): { value?: number; error?: string } {
  const s = text.trim();
  if (!s) return {};
  const n = Number(s);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) || !Number.isFinite(n)) return { error: `${which} ${spec.name.toLowerCase()} must be a number, e.g. ${spec.max / 2}` };
  if (n < 0 || n > spec.max) return { error: `${which} ${spec.name.toLowerCase()} must be between 0 and ${spec.max}${spec.unit ?? ''}` };
  return { value: n };
}

/** Reads a min/max pair; a pair whose minimum is above its maximum is refused whole. */
export function readFigureRange(minText: string, maxText: string, spec: FigureSpec): FigureRange {
  const lo = readBound(minText, 'Minimum', spec);
  const hi = readBound(maxText, 'Maximum', spec);
  if (lo.value !== undefined && hi.value !== undefined && lo.value > hi.value) {
    const u = spec.unit ?? '';
    return { error: `Minimum (${lo.value}${u}) is above maximum (${hi.value}${u})`, minInvalid: true, maxInvalid: true };
  }
  return { min: lo.value, max: hi.value, error: lo.error ?? hi.error, minInvalid: lo.error !== undefined, maxInvalid: hi.error !== undefined };
}
