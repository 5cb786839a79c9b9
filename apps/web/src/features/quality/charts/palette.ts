/**
 * Chart colours from the app's CSS variables (Tailwind's palette), so charts follow the theme: dark
 * mode swaps the variables' values, and `watchTheme` tells a chart to redraw. The canvas renderer
 * needs plain rgb(a), and the palette is oklch: each colour is resolved by painting one pixel.
 */

export interface Palette {
  text: string;
  muted: string;
  faint: string;
  grid: string;
  axis: string;
  surface: string;
  /** Categorical series colours, in order. */
  series: string[];
  brand: string;
  good: string;
  warn: string;
  bad: string;
  /** Model judges (kept apart from humans in every chart). */
  model: string;
  human: string;
  /** A diverging scale for κ: negative → zero → one. */
  diverging: [string, string, string];
}

const VARS = {
  text: ['--color-slate-800', '#1e293b'],
  muted: ['--color-slate-500', '#64748b'],
  faint: ['--color-slate-400', '#94a3b8'],
  grid: ['--color-slate-200', '#e2e8f0'],
  axis: ['--color-slate-300', '#cbd5e1'],
  surface: ['--color-white', '#ffffff'],
  brand: ['--color-brand-600', '#4f46e5'],
  good: ['--color-emerald-600', '#059669'],
  warn: ['--color-amber-500', '#f59e0b'],
  bad: ['--color-red-600', '#dc2626'],
  model: ['--color-violet-600', '#7c3aed'],
  human: ['--color-sky-600', '#0284c7'],
  negative: ['--color-red-500', '#ef4444'],
  zero: ['--color-slate-100', '#f1f5f9'],
  positive: ['--color-brand-700', '#4338ca'],
  s1: ['--color-brand-600', '#4f46e5'],
  s2: ['--color-emerald-600', '#059669'],
  s3: ['--color-amber-500', '#f59e0b'],
  s4: ['--color-sky-600', '#0284c7'],
  s5: ['--color-rose-600', '#e11d48'],
  s6: ['--color-violet-600', '#7c3aed'],
  s7: ['--color-teal-600', '#0d9488'],
  s8: ['--color-slate-500', '#64748b'],
} as const;

let ctx: CanvasRenderingContext2D | null | undefined;

/** Any CSS colour (oklch included) as `rgba(r, g, b, a)`, or `fallback` when it cannot be resolved. */
function toRgb(css: string, fallback: string): string {
  if (!css) return fallback;
  ctx ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!ctx) return fallback;
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillStyle = fallback;
  ctx.fillStyle = css;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  return `rgba(${r ?? 0}, ${g ?? 0}, ${b ?? 0}, ${((a ?? 255) / 255).toFixed(3)})`;
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const c = Object.fromEntries(Object.entries(VARS).map(([k, [name, fallback]]) => [k, toRgb(style.getPropertyValue(name).trim(), fallback)])) as Record<keyof typeof VARS, string>;
  return {
    text: c.text,
    muted: c.muted,
    faint: c.faint,
    grid: c.grid,
    axis: c.axis,
    surface: c.surface,
    brand: c.brand,
    good: c.good,
    warn: c.warn,
    bad: c.bad,
    model: c.model,
    human: c.human,
    series: [c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.s7, c.s8],
    diverging: [c.negative, c.zero, c.positive],
  };
}

/** Calls `onChange` when the theme changes (the `data-theme` attribute or the system setting). */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', onChange);
  return () => {
    observer.disconnect();
    media.removeEventListener('change', onChange);
  };
}
