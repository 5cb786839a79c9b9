/**
 * The selection inside a response's rendered text as offsets into its markdown source, and caret
 * movement for keyboard selection in text that is not editable (Shift+arrows extend, as in an
 * editor). Rendered text is walked as the reader sees it: hidden copies (KaTeX's visual layer is
 * aria-hidden; its MathML keeps the TeX source) are left out.
 */
import { alignRendered, sourceSpan } from './judging.ts';

function textNodes(root: Element): Text[] {
  const out: Text[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement?.closest('[aria-hidden="true"]') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n as Text);
  return out;
}

/** The selection in `root` as rendered-text offsets and the source span they map to. */
export function selectionInSource(root: Element, source: string, range: Range): { start: number; end: number; text: string } | null {
  const nodes = textNodes(root);
  let rendered = '';
  let start = -1;
  let end = -1;
  for (const t of nodes) {
    const len = t.data.length;
    if (start === -1 && range.intersectsNode(t)) start = rendered.length + (t === range.startContainer ? range.startOffset : 0);
    if (range.intersectsNode(t)) end = rendered.length + (t === range.endContainer ? range.endOffset : len);
    rendered += t.data;
  }
  if (start === -1 || end <= start) return null;
  const at = sourceSpan(alignRendered(source, rendered), rendered, start, end);
  return at ? { ...at, text: rendered.slice(start, end) } : null;
}

const MOVES: Record<string, [dir: 'forward' | 'backward', unit: string]> = {
  ArrowRight: ['forward', 'character'],
  ArrowLeft: ['backward', 'character'],
  ArrowDown: ['forward', 'line'],
  ArrowUp: ['backward', 'line'],
  Home: ['backward', 'lineboundary'],
  End: ['forward', 'lineboundary'],
};

/**
 * Keyboard selection in a focused, non-editable text region: arrows move a caret, Shift+arrows
 * extend the selection, Ctrl/Alt with ←/→ go by words. Returns whether the key was used.
 */
export function caretKey(root: Element, e: KeyboardEvent): boolean {
  const move = MOVES[e.key];
  const sel = window.getSelection();
  if (!move || !sel || e.metaKey) return false;
  if (!sel.anchorNode || !root.contains(sel.anchorNode)) {
    const first = textNodes(root)[0];
    if (!first) return false;
    sel.collapse(first, 0);
  }
  const unit = (e.ctrlKey || e.altKey) && move[1] === 'character' ? 'word' : move[1];
  sel.modify(e.shiftKey ? 'extend' : 'move', move[0], unit);
  return true;
}
