/**
 * axe-core in a Playwright page: injects its source (from the package, no network) and runs the
 * WCAG 2.0/2.1 A and AA rules and the best-practice rules. Violations come back as short readable lines.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let source: string | undefined;

function axeSource(): string {
  source ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

/** Runs axe on the page as it is now; returns one line per violated rule and element. */
export async function axeViolations(page: Page): Promise<string[]> {
  // The page's CSP forbids inline scripts but not evaluation through the DevTools protocol.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource());
  const result = (await page.evaluate(
    `window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) })))`,
  )) as AxeViolation[];
  const lines: string[] = [];
  for (const v of result) {
    for (const n of v.nodes) {
      const why = (n.failureSummary ?? '').split('\n').slice(1, 2).join(' ').trim();
      lines.push(`${v.id} (${v.impact ?? '?'}): ${v.help} — ${JSON.stringify(n.target)} ${n.html.slice(0, 140)}${why ? ` — ${why}` : ''}`);
    }
  }
  return lines;
}
