/**
 * Keeps the toast stack above a page's fixed action bar (whose buttons it would otherwise cover):
 * sets the Toaster's `--toast-bottom` while the page is shown; `side: 'left'` also moves the stack to
 * the left edge (the judging page, whose form panel is on the right). Returns the cleanup for an `$effect`.
 */
export function toastsAbove(barHeight: number, side: 'right' | 'left' = 'right'): () => void {
  const root = document.documentElement.style;
  root.setProperty('--toast-bottom', `${Math.round(barHeight) + 12}px`);
  if (side === 'left') {
    root.setProperty('--toast-left', '1rem');
    root.setProperty('--toast-right', 'auto');
  }
  return () => {
    root.removeProperty('--toast-bottom');
    root.removeProperty('--toast-left');
    root.removeProperty('--toast-right');
  };
}
