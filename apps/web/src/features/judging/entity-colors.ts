/** One colour per span type (by its place in the taxonomy), readable in light and dark mode (the palette swaps by variables). */
const PALETTE = [
  { mark: 'bg-sky-100 text-slate-900', badge: 'bg-sky-600 text-white', ring: 'border-sky-300' },
  { mark: 'bg-amber-100 text-slate-900', badge: 'bg-amber-600 text-white', ring: 'border-amber-300' },
  { mark: 'bg-emerald-100 text-slate-900', badge: 'bg-emerald-600 text-white', ring: 'border-emerald-300' },
  { mark: 'bg-rose-100 text-slate-900', badge: 'bg-rose-600 text-white', ring: 'border-rose-300' },
  { mark: 'bg-violet-100 text-slate-900', badge: 'bg-violet-600 text-white', ring: 'border-violet-300' },
  { mark: 'bg-orange-100 text-slate-900', badge: 'bg-orange-600 text-white', ring: 'border-orange-300' },
  { mark: 'bg-teal-100 text-slate-900', badge: 'bg-teal-600 text-white', ring: 'border-teal-300' },
  { mark: 'bg-indigo-100 text-slate-900', badge: 'bg-indigo-600 text-white', ring: 'border-indigo-300' },
  { mark: 'bg-purple-100 text-slate-900', badge: 'bg-purple-600 text-white', ring: 'border-purple-300' },
] as const;

export function entityColor(types: readonly { id: string }[], label: string): (typeof PALETTE)[number] {
  const i = types.findIndex((t) => t.id === label);
  return PALETTE[(i < 0 ? types.length : i) % PALETTE.length]!;
}
