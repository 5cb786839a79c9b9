/**
 * j / k in a list: moves the focus to the next (`delta` 1) or previous (-1) of `targets`, from the one
 * focused now (none focused: the first, or the last going up), and scrolls its row into view.
 */
export function moveListFocus(targets: readonly HTMLElement[], delta: number): void {
  if (!targets.length) return;
  const at = targets.findIndex((t) => t === document.activeElement);
  const next = at === -1 ? (delta > 0 ? 0 : targets.length - 1) : Math.min(targets.length - 1, Math.max(0, at + delta));
  const el = targets[next]!;
  el.focus();
  (el.closest('tr') ?? el).scrollIntoView({ block: 'nearest' });
}
