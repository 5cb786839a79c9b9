/**
 * Keeps the toast stack above a page's fixed action bar (whose buttons it would otherwise cover):
 * sets the Toaster's `--toast-bottom` while the page is shown; returns the cleanup for an `$effect`.
 */
export function toastsAbove(barHeight: number): () => void {
  const root = document.documentElement.style;
  root.setProperty('--toast-bottom', `${Math.round(barHeight) + 12}px`);
  return () => root.removeProperty('--toast-bottom');
}
