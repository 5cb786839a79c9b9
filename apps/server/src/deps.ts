/**
 * Everything the app needs, built once from the environment: database, control bus, live documents,
 * and each feature's service over its repository. A feature that needs another's data gets that
 * feature's service here. `createApp(deps)` and `attachRealtime(server, deps)` only close over this.
 */
import { randomUUID } from 'node:crypto';
import { readProjectSettings } from '@accord/core';
import { analyzeAfterBulkWrite, createDb, createDocStore, databaseLoad, DOC_NOTIFY_CHANNEL, maintainTables, notifyAll, PRESENCE_NOTIFY_CHANNEL, type DbHandle } from '@accord/db';
import type { Env } from './env.ts';
import { createAuthRepo } from './features/auth/auth.repo.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createExportsRepo } from './features/exports/exports.repo.ts';
import { createExportService } from './features/exports/exports.service.ts';
import { createCalibrationDocKind } from './features/calibration/calibration.doc-kind.ts';
import { createCalibrationRepo } from './features/calibration/calibration.repo.ts';
import { createCalibrationService } from './features/calibration/calibration.service.ts';
import { createFeedbackRepo } from './features/feedback/feedback.repo.ts';
import { createFeedbackService } from './features/feedback/feedback.service.ts';
import { createGatesRepo } from './features/gates/gates.repo.ts';
import { createGatesService } from './features/gates/gates.service.ts';
import { createImportsRepo } from './features/imports/imports.repo.ts';
import { createImportService } from './features/imports/imports.service.ts';
import { createJudgingRepo } from './features/judging/judging.repo.ts';
import { createJudgingService } from './features/judging/judging.service.ts';
import { candidatesColumn, candidatesOf, createJustificationsRepo } from './features/justifications/justifications.repo.ts';
import { createJustificationService } from './features/justifications/justifications.service.ts';
import { createProjectsRepo } from './features/projects/projects.repo.ts';
import { createProjectService } from './features/projects/projects.service.ts';
import { createQualityRepo } from './features/quality/quality.repo.ts';
import { createQualityService } from './features/quality/quality.service.ts';
import { createRubricsRepo } from './features/rubrics/rubrics.repo.ts';
import { createRubricService } from './features/rubrics/rubrics.service.ts';
import { createUsersRepo } from './features/users/users.repo.ts';
import { createUserService } from './features/users/users.service.ts';
import { createWritingRepo } from './features/writing/writing.repo.ts';
import { createWritingService } from './features/writing/writing.service.ts';
import { createRedteamRepo } from './features/redteam/redteam.repo.ts';
import { createRedteamService } from './features/redteam/redteam.service.ts';
import { createRubricDocKind } from './features/rubrics/rubrics.doc-kind.ts';
import { audit } from './platform/audit.ts';
import { createTableMaintenance } from './platform/maintenance.ts';
import { createConsensusRepo } from './features/consensus/consensus.repo.ts';
import { createConsensusService } from './features/consensus/consensus.service.ts';
import { createDisputeDocKind } from './features/consensus/disputes.doc-kind.ts';
import { createControlBus } from './platform/bus.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { createRateLimiter } from './platform/rate-limit.ts';
import { membersNotice, QUALITY_CHANNEL } from './platform/realtime/quality.ts';
import { createWorkerCompactor } from './platform/realtime/compactor.ts';
import { createDocKinds } from './platform/realtime/doc-kinds.ts';
import { createDocRegistry } from './platform/realtime/registry.ts';

export async function createDeps(env: Env, overrides: { db?: DbHandle; logger?: Logger; clock?: Clock } = {}) {
  // The wall clock of time-based rules that tests move instead of waiting (qualification retry delays).
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(env.ACCORD_LOG);
  const db = overrides.db ?? (await createDb(env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: env.ACCORD_DB_POOL } : { kind: 'pglite', dataDir: env.dataDir, sharedBuffersMb: env.ACCORD_PGLITE_SHARED_BUFFERS_MB, wasmCompiler: env.ACCORD_PGLITE_WASM }));
  // The control bus: changes of rights written to `control_events` and applied by every node (NOTIFY on PostgreSQL).
  const listen = db.listen;
  const bus = createControlBus({ db: db.db, logger, ...(listen ? { listen: (channel, fn, onConnect) => listen(channel, fn, onConnect) } : {}) });
  await bus.start();
  // The item list's quality figures settle first (the quality service is created below; called per request).
  const projects = createProjectService(createProjectsRepo(db.db), bus, (projectId) => quality.settle(projectId));
  const windowMs = env.ACCORD_LOGIN_WINDOW_SECONDS * 1000;
  const auth = createAuthService({
    repo: createAuthRepo(db.db),
    bus,
    memberships: projects.membershipsOf,
    // Session expiry follows the server's clock, which tests move instead of waiting hours.
    now: clock,
    idleMs: env.ACCORD_SESSION_IDLE_MINUTES * 60_000,
    maxMs: env.ACCORD_SESSION_MAX_HOURS * 3_600_000,
    // Counted in the database, so every node sharing it enforces the same limits.
    limiter: createRateLimiter(db.db, windowMs, systemClock),
    limits: { perAccount: env.ACCORD_LOGIN_MAX_PER_ACCOUNT, perDevice: env.ACCORD_LOGIN_MAX_PER_DEVICE, perAddress: env.ACCORD_LOGIN_MAX_PER_ADDRESS },
    deviceMaxMs: env.ACCORD_DEVICE_COOKIE_DAYS * 86_400_000,
  });
  // Live documents: one room per document, logged to the database, compacted in a worker thread.
  // With PostgreSQL (possibly several nodes) appends NOTIFY and rooms catch up on each other's writes.
  const compactor = createWorkerCompactor((e) => logger.error('compaction worker failed', { message: (e as Error).message }));
  // This node, in its append notices and presence messages: it skips its own.
  const nodeId = randomUUID();
  const docs = createDocRegistry({
    nodeId,
    persistence: createDocStore(db.db, { notify: db.kind === 'postgres', node: nodeId }),
    // Each kind decides what of a client's presence its rooms relay (rooms are created after start-up).
    presenceFilter: (name) => docKinds.presenceFilter(name),
    logger,
    compactor: compactor.compact,
    // Below the transport's 1 MB packet limit, so an oversized update gets a proper refusal. PGlite runs
    // on this thread (about 1 ms of it per append): its log takes a room's changes every 250 ms, not every
    // 50 ms, so a busy room's appends stall the loop a fifth as often (connected writers still hold
    // what is not logged yet, [P4]; a graceful stop flushes).
    limits: { maxUpdateBytes: 512 * 1024, broadcastWindowMs: env.ACCORD_BROADCAST_WINDOW_MS, persistDelayMs: db.kind === 'pglite' ? 250 : 50 },
    ...(listen
      ? {
          listen: (fn: (payload: string) => void) => listen(DOC_NOTIFY_CHANNEL, fn),
          // Presence of clients connected to other nodes (cursors, who is in), relayed, never stored.
          presence: { listen: (fn: (payload: string) => void) => listen(PRESENCE_NOTIFY_CHANNEL, fn), send: (payloads: string[]) => notifyAll(db.db, PRESENCE_NOTIFY_CHANNEL, payloads) },
        }
      : {}),
  });
  await docs.start();
  const users = createUserService({ repo: createUsersRepo(db.db), bus, auth });
  const rubrics = createRubricService(createRubricsRepo(db.db), docs);
  const justifications = createJustificationService(createJustificationsRepo(db.db));
  // Red teaming: models under test, calls to them (rate-limited per user in the database), reviews.
  const redteam = createRedteamService({
    repo: createRedteamRepo(db.db),
    limiter: createRateLimiter(db.db, 60_000, systemClock),
    callsPerMinute: env.ACCORD_REDTEAM_CALLS_PER_MINUTE,
    maxResponseBytes: env.ACCORD_REDTEAM_MAX_RESPONSE_KB * 1024,
    settings: (project) => readProjectSettings(project.settings),
    logger,
  });
  const judging = createJudgingService({ repo: createJudgingRepo(db.db, { column: candidatesColumn, read: candidatesOf }), rubrics, justifications, bus, preferenceChecks: redteam.preferenceIssues });
  const quality = createQualityService({
    repo: createQualityRepo(db.db),
    logger,
    dimensions: (projectId) => rubricDimensions(rubrics, projectId),
    taxonomy: (projectId) => rubricTaxonomy(rubrics, projectId),
    ...(listen ? { announceMembers: (projectId: string) => notifyAll(db.db, QUALITY_CHANNEL, [membersNotice(projectId)]) } : {}),
  });
  // Consensus: computed after judgments commit (a queue filled by a trigger, drained after submits and
  // imports and by a sweep); disputes settled in live rooms.
  const consensus = createConsensusService({ repo: createConsensusRepo(db.db), logger, docs, bus, latestRubric: (projectId) => rubrics.latestContent(projectId), faultCommitPauseMs: env.ACCORD_FAULT_COMMIT_PAUSE_MS });
  const calibration = createCalibrationService({
    repo: createCalibrationRepo(db.db),
    bus,
    clock,
    rubrics,
    quality,
    projects,
    settings: judging.settings,
    // Judgments kept from a session: their items' consensus, computed before the end answers.
    onJudgments: (projectId) => consensus.process(projectId).then(() => undefined),
  });
  // Live-document kinds: one line per kind (each declared in its feature folder).
  // SFT writing: versions, diffs and reviews of written demonstrations; accepted ones are the SFT export.
  const writing = createWritingService({ repo: createWritingRepo(db.db), clock, rubrics, settings: judging.settings });
  // Statistics and dead rows where no autovacuum keeps them (PGlite; PostgreSQL with it off).
  const maintenance = createTableMaintenance({
    pass: (beforeWork, betweenTables) => maintainTables(db, { beforeWork, betweenTables }),
    afterBulkWrite: (table, rows) => analyzeAfterBulkWrite(db, table, rows),
    everyMs: env.ACCORD_DB_MAINTENANCE_SECONDS * 1000,
    load: db.session ? (o) => databaseLoad(db, o) : null,
    maxWaitMs: env.ACCORD_DB_MAINTENANCE_MAX_WAIT_SECONDS * 1000,
    logger,
  });
  const docKinds = createDocKinds([createRubricDocKind(), createDisputeDocKind(consensus), createCalibrationDocKind(calibration)], bus);
  return {
    env,
    logger,
    db,
    bus,
    clock,
    auth,
    users,
    projects,
    docs,
    docKinds,
    compactor,
    rubrics,
    imports: createImportService({
      repo: createImportsRepo(db.db),
      logger,
      maxBytes: env.ACCORD_IMPORT_MAX_MB * 1024 * 1024,
      rubrics,
      users,
      members: projects,
      // Rows written in bulk: their table analyzed before the job reports done (when they are many for its size).
      afterBulkWrite: maintenance.afterBulkWrite,
      // Judgments imported: their items' consensus (and imported writings' first versions), computed before the job reports done.
      onJudgments: (projectId) => Promise.all([consensus.process(projectId), writing.sync(projectId)]).then(() => undefined),
      // Judgments replaced or added under a current label: the label is superseded (computed again, or reopened if adjudicated).
      onJudgmentsChanged: (projectId, itemIds, actorId, note) => consensus.judgmentsChanged(projectId, itemIds, actorId, note),
    }),
    consensus,
    justifications,
    judging,
    gates: createGatesService({ repo: createGatesRepo(db.db), bus, clock, judging }),
    feedback: createFeedbackService({ repo: createFeedbackRepo(db.db), clock }),
    quality,
    exports: createExportService({ repo: createExportsRepo(db.db), quality, writing, audit: (entry) => audit(db.db, entry), redteamRows: (projectId) => redteam.exportRows(projectId) }),
    calibration,
    writing,
    redteam,
    maintenance,
  };
}

/**
 * Stops what createDeps started (the bus, live documents, the compaction worker, background jobs) and
 * closes the database; rooms write their pending log entries first, so nothing acknowledged is lost.
 */
export async function closeDeps(deps: Deps, options: { closeDb: boolean } = { closeDb: true }): Promise<void> {
  await deps.bus.close();
  await deps.docs.close();
  await deps.compactor.close();
  await deps.imports.close();
  await deps.consensus.close();
  await deps.quality.close();
  await deps.maintenance.close();
  if (options.closeDb) await deps.db.close();
}

/** The dimensions of a project's newest published rubric version (quality figures name them). */
async function rubricDimensions(rubrics: { latestContent(projectId: string): Promise<{ content: unknown } | null> }, projectId: string) {
  const latest = await rubrics.latestContent(projectId);
  const dims = (latest?.content as { dimensions?: { id?: unknown; name?: unknown; target?: unknown }[] } | undefined)?.dimensions ?? [];
  return dims
    .filter((d) => typeof d.id === 'string')
    .map((d) => ({ id: d.id as string, name: typeof d.name === 'string' ? d.name : (d.id as string), target: d.target === 'comparison' ? ('comparison' as const) : ('response' as const) }));
}

/** The newest published taxonomy's labels (a classification project's per-label agreement lists them in this order). */
async function rubricTaxonomy(rubrics: { latestContent(projectId: string): Promise<{ content: unknown } | null> }, projectId: string) {
  const latest = await rubrics.latestContent(projectId);
  const labels = (latest?.content as { taxonomy?: { labels?: { id?: unknown; name?: unknown }[] } | null } | undefined)?.taxonomy?.labels ?? [];
  return labels.filter((l) => typeof l.id === 'string').map((l) => ({ id: l.id as string, name: typeof l.name === 'string' && l.name ? l.name : (l.id as string) }));
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;
