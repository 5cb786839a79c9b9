/** The environment the test helpers read: where PostgreSQL is, and whether this is CI. */
export const testEnv = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  /** CI installs and starts every service, so there a missing one is a failure, not a skip. */
  ci: Boolean(process.env.CI),
};
