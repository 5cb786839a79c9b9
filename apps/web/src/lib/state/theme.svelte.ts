/**
 * Light or dark: follows the system (prefers-color-scheme) unless the user picked one, which is kept in
 * localStorage. The resolved theme is written to `<html data-theme>`, which app.css reads.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'accord.theme';

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export class Theme {
  choice: ThemeChoice = $state('system');
  systemDark = $state(false);
  readonly resolved = $derived<'light' | 'dark'>(this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice);

  /** Reads the choice and the system setting, applies them, and follows later changes of either. */
  start(): () => void {
    this.choice = stored();
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    this.systemDark = media.matches;
    this.#apply();
    const onMedia = (e: MediaQueryListEvent) => {
      this.systemDark = e.matches;
      this.#apply();
    };
    // Another tab changed the choice.
    const onStorage = (e: StorageEvent) => {
      if (e.key !== KEY) return;
      this.choice = stored();
      this.#apply();
    };
    media.addEventListener('change', onMedia);
    window.addEventListener('storage', onStorage);
    return () => {
      media.removeEventListener('change', onMedia);
      window.removeEventListener('storage', onStorage);
    };
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Storage refused (private mode): the choice lasts for this page.
    }
    this.#apply();
  }

  /** Switches to the other theme than the one shown. */
  toggle(): void {
    this.set(this.resolved === 'dark' ? 'light' : 'dark');
  }

  #apply(): void {
    document.documentElement.dataset.theme = this.resolved;
  }
}

export const theme = new Theme();
