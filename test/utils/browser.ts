/** Debian's Chromium driven by playwright-core; tests skip with a printed reason where it is missing. */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  // CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
  if (process.env.CI) throw new Error(`CI=true but there is no Chromium at ${CHROMIUM}`);
  return `no Chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
