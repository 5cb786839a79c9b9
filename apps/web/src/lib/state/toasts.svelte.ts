/** Short-lived notices ("Member added"), announced through an aria-live region by Toaster.svelte. */
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
}

export class Toasts {
  items: Toast[] = $state([]);
  #next = 1;

  push(kind: Toast['kind'], message: string, timeoutMs = kind === 'error' ? 7000 : 4000): number {
    const id = this.#next++;
    this.items.push({ id, kind, message });
    if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
    return id;
  }

  success(message: string) {
    return this.push('success', message);
  }
  error(message: string) {
    return this.push('error', message);
  }

  /** A short cue (a key that picks nothing here), not stacked while the same one is up. */
  hint(message: string): void {
    if (!this.items.some((t) => t.message === message)) this.push('info', message, 2500);
  }

  dismiss(id: number): void {
    const i = this.items.findIndex((t) => t.id === id);
    if (i !== -1) this.items.splice(i, 1);
  }
}

export const toasts = new Toasts();
