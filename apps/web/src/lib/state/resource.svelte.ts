/**
 * One piece of remote data: `data`, `error`, `loading`. `load()` aborts the previous request and
 * ignores late answers, so quickly changing filters never shows stale results.
 */
import { untrack } from 'svelte';

export class Resource<T> {
  data: T | undefined = $state.raw(undefined);
  error: unknown = $state.raw(null);
  loading = $state(false);
  #seq = 0;
  #ctrl: AbortController | null = null;

  /** True until the first answer (or error) arrives: show a skeleton, not an empty state. */
  get initial(): boolean {
    return this.data === undefined && this.error === null;
  }

  /** Never rejects (a failure lands in `error`): callers that need no completion may `void` it. */
  load(fetcher: (signal: AbortSignal) => Promise<T>): Promise<void> {
    return untrack(() => {
      const seq = ++this.#seq;
      this.#ctrl?.abort();
      const ctrl = new AbortController();
      this.#ctrl = ctrl;
      this.loading = true;
      return fetcher(ctrl.signal).then(
        (data) => {
          if (seq !== this.#seq) return;
          this.data = data;
          this.error = null;
          this.loading = false;
        },
        (e: unknown) => {
          if (seq !== this.#seq || ctrl.signal.aborted) return;
          this.error = e;
          this.loading = false;
        },
      );
    });
  }

  /** Replaces the data locally after a mutation, without a round trip. */
  set(data: T): void {
    this.data = data;
  }

  abort(): void {
    this.#seq++;
    this.#ctrl?.abort();
    this.loading = false;
  }
}
