/**
 * The only reader of process.env for the integration and browser tests (the lint rule allows env
 * modules only). A bad value stops the run with a message naming the variable.
 */

export interface TestRunEnv {
  /** Chromium for the browser tests (CHROMIUM_PATH). */
  chromiumPath: string;
  /** CI installs every service and browser: there a missing one is a failure, not a skip (CI). */
  ci: boolean;
  /** Seed of the fuzz tests (FUZZ_SEED), so a failing run can be replayed. */
  fuzzSeed: number;
  /** Runs of the socket/REST fuzz test (FUZZ_RUNS). */
  fuzzRuns: number;
  /**
   * Whether the accessibility sweep photographs every page in every view and theme, for people to look
   * at (ACCORD_SCREENSHOTS=1 or 0; by default yes, except in CI, where nobody looks and the sweep's
   * photographs cost minutes). The audits run either way.
   */
  sweepScreenshots: boolean;
  /** The web client the test servers serve (ACCORD_WEB_DIST: a build of its own; default apps/web/dist). */
  webDist: string | null;
}

function readTestEnv(source: Record<string, string | undefined> = process.env): TestRunEnv {
  const seed = source.FUZZ_SEED === undefined || source.FUZZ_SEED === '' ? 20261126 : Number(source.FUZZ_SEED);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`FUZZ_SEED: must be a non-negative integer (got ${source.FUZZ_SEED})`);
  const runs = source.FUZZ_RUNS === undefined || source.FUZZ_RUNS === '' ? 150 : Number(source.FUZZ_RUNS);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS: must be a positive integer (got ${source.FUZZ_RUNS})`);
  const shots = source.ACCORD_SCREENSHOTS;
  if (shots !== undefined && shots !== '' && shots !== '0' && shots !== '1') throw new Error(`ACCORD_SCREENSHOTS: must be 1 or 0 (got ${shots})`);
  const sweepScreenshots = shots === '1' || ((shots === undefined || shots === '') && !source.CI);
  return { chromiumPath: source.CHROMIUM_PATH || '/usr/bin/chromium', ci: Boolean(source.CI), fuzzSeed: seed, fuzzRuns: runs, sweepScreenshots, webDist: source.ACCORD_WEB_DIST || null };
}

export const testRunEnv: TestRunEnv = readTestEnv();

/**
 * The environment a child server process inherits: ours without what would point it elsewhere
 * (ACCORD_*, DATABASE_URL, PORT); the caller adds its own settings on top.
 */
export function inheritedEnv(source: Record<string, string | undefined> = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('ACCORD_') && e[0] !== 'DATABASE_URL' && e[0] !== 'PORT'),
  );
}
