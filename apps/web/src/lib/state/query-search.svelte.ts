/**
 * The search box of a list page whose filters live in the URL (`?q=`): typing updates `q` after a
 * short pause and goes back to the first page; back/forward puts the URL's `q` back in the box,
 * unless the user is typing in it. Create it while a component initialises (it uses effects).
 */
import { router } from './router.svelte.ts';

const DEBOUNCE_MS = 250;

export class QuerySearch {
  /** What the box shows; runs ahead of the URL while the user types. */
  text = $state(router.query.get('q') ?? '');
  /** The box's input element, for focus and the shortcut. */
  input: HTMLInputElement | null = $state(null);
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    $effect(() => {
      const value = router.query.get('q') ?? '';
      if (document.activeElement !== this.input) this.text = value;
    });
    $effect(() => () => clearTimeout(this.#debounce));
  }

  /** The box's `onInput`: writes the trimmed text to `q`, debounced, and resets paging. */
  onInput = (value: string): void => {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => router.setQuery({ q: value.trim() || null, offset: null }), DEBOUNCE_MS);
  };
}
