/**
 * Keyboard shortcuts. Pages register bindings while mounted (`useShortcuts` in an effect); the
 * help dialog (`?`) lists whatever is registered right now, grouped. Shortcuts never fire while
 * the user types in a field or while a dialog or menu is open.
 */
import { untrack } from 'svelte';
import { SequenceMatcher, isTypingTarget, keyName } from './keys.ts';

export interface Shortcut {
  /** Space-separated key sequence, e.g. `'/'`, `'g p'`. */
  keys: string;
  description: string;
  group: string;
  run: () => void;
  /** When given, the binding applies only while this returns true (otherwise the key does what it normally does). */
  when?: (e: KeyboardEvent) => boolean;
}

export class Shortcuts {
  /**
   * The registered bindings live in a plain array, not in state: pages register from effects that
   * may run in different update batches, and a read-modify-write of a state field there could see
   * an older list and drop another page's bindings (the Items tab's j, k and / were lost when the tab
   * was opened by link, as the page around it re-registered its own). `#changes` only tells the help
   * dialog to re-read the list.
   */
  #list: readonly Shortcut[] = [];
  #changes = $state(0);
  get bindings(): readonly Shortcut[] {
    void this.#changes;
    return this.#list;
  }
  /** The keys typed so far of an unfinished sequence, shown as a hint ("g …"). */
  pending = $state('');
  helpOpen = $state(false);
  #matcher = new SequenceMatcher<Shortcut>();
  #pendingTimer: ReturnType<typeof setTimeout> | undefined;

  groups = $derived.by(() => {
    const out: { group: string; items: Shortcut[] }[] = [];
    for (const b of this.bindings) {
      // Bindings without a description work but are not listed (e.g. digits summarised as "1–7").
      if (!b.description) continue;
      let g = out.find((x) => x.group === b.group);
      if (!g) out.push((g = { group: b.group, items: [] }));
      if (!g.items.some((i) => i.keys === b.keys)) g.items.push(b);
    }
    return out;
  });

  /** Adds bindings; the returned function removes them (use as an `$effect` cleanup). */
  register(...list: Shortcut[]): () => void {
    this.#list = [...this.#list, ...list];
    // Untracked: registering from an effect must not make that effect depend on the counter it bumps.
    untrack(() => this.#changes++);
    return () => {
      this.#list = this.#list.filter((b) => !list.includes(b));
      untrack(() => this.#changes++);
    };
  }

  handle = (e: KeyboardEvent): void => {
    if (e.defaultPrevented || e.repeat) return;
    const target = e.target as HTMLElement | null;
    if (isTypingTarget(target)) {
      // Esc leaves a page's text field (not a dialog's), so shortcuts work again without the mouse.
      if (e.key === 'Escape' && !target?.closest('[role="dialog"], [role="alertdialog"]')) target?.blur();
      return;
    }
    if (document.querySelector('[role="dialog"], [role="alertdialog"], [role="menu"], [role="listbox"]')) return;
    const key = keyName(e);
    if (!key) return;
    // Later registrations (the current page) win over earlier ones (the app shell).
    const result = this.#matcher.feed(key, this.#list.filter((b) => !b.when || b.when(e)).reverse());
    clearTimeout(this.#pendingTimer);
    if (result.kind === 'match') {
      e.preventDefault();
      this.pending = '';
      result.binding.run();
    } else if (result.kind === 'pending') {
      e.preventDefault();
      this.pending = result.prefix;
      this.#pendingTimer = setTimeout(() => (this.pending = ''), this.#matcher.timeoutMs);
    } else {
      this.pending = '';
    }
  };

  start(): () => void {
    document.addEventListener('keydown', this.handle);
    return () => document.removeEventListener('keydown', this.handle);
  }
}

export const shortcuts = new Shortcuts();
