/**
 * Faults: the server process is killed (kill -9) in the middle of a dispute's commit, with the
 * commit's transaction open (ACCORD_FAULT_COMMIT_PAUSE_MS holds it before COMMIT and logs that it
 * does). After a restart nothing of it is there — the dispute is open, no label, no audit record, the
 * room writable — and committing again writes the label once (201). A process killed right after
 * answering 201 leaves all of it: label, committed dispute, frozen room. PGlite (one data folder) and
 * PostgreSQL when reachable, with real processes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempPostgres, findPostgres, testDatabaseKinds, type TestDatabase } from '@accord/db/testing';
import type { Ack, CommitResult, ConsensusLabel, DisputeDetail, DisputeSummary, DocJoined } from '@accord/core';
import { ApiClient } from '../utils/client.ts';
import { readDisputeProposal, writeDisputeProposal } from '@accord/collab';
import { connected, emitAck, openDoc, openSocket } from '../utils/collab.ts';
import { query } from '../utils/faults.ts';
import { runServerProcess, type ServerProcess } from '../utils/process.ts';
import { waitFor } from '../utils/server.ts';

const kinds = await testDatabaseKinds();
const procs: ServerProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

describe.each(kinds)('a dispute commit killed mid-transaction (%s)', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-dispute-kill-'));
  let db: TestDatabase | null = null;
  let dbUrl: string | null = null;
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(env: Record<string, string> = {}): Promise<{ proc: ServerProcess; url: string }> {
    if (kind === 'postgres' && !db) {
      const found = await findPostgres();
      if ('reason' in found) throw new Error(found.reason);
      db = await createTempPostgres(found.url);
      if (db.options.kind !== 'postgres') throw new Error('expected PostgreSQL');
      dbUrl = db.options.url;
      const d = db;
      cleanups.push(() => d.drop());
    }
    const proc = runServerProcess({ ACCORD_DATA_DIR: dataDir, ACCORD_LOG: 'error', NODE_ENV: 'test', ...(dbUrl ? { DATABASE_URL: dbUrl } : {}), ...env }, 180_000);
    procs.push(proc);
    return { proc, url: await proc.ready };
  }

  async function signIn(url: string): Promise<ApiClient> {
    const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as { email: string; password: string; role: string }[];
    const lead = logins.find((l) => l.role === 'lead')!;
    const c = new ApiClient(url);
    await c.login(lead.email, lead.password);
    return c;
  }

  // The pairwise demo (the seed also creates a classification and a rating demo).
  const projectOf = async (c: ApiClient) => (await c.get<{ items: { id: string; taskKind: string }[] }>('/api/projects')).body.items.find((p) => p.taskKind === 'pairwise')!.id;

  it('leaves none of it when killed before COMMIT, and all of it when killed after the 201', async () => {
    // 1. A process that holds every commit's transaction open for a minute.
    const first = await start({ ACCORD_FAULT_COMMIT_PAUSE_MS: '60000' });
    let lead = await signIn(first.url);
    const projectId = await projectOf(lead);
    const disputes = await waitFor(async () => {
      const r = await lead.get<{ items: DisputeSummary[] }>(`/api/projects/${projectId}/disputes`);
      return r.body.items.length >= 2 ? r.body.items : null;
    });
    const [a, b] = disputes!;
    const pending = lead.post(`/api/projects/${projectId}/disputes/${a!.id}/commit`, undefined, { headers: { 'idempotency-key': 'killed' } }).catch((e: unknown) => e);
    await waitFor(() => first.proc.output().includes('dispute commit holding its transaction before COMMIT'), { timeout: 60_000, message: 'the commit inside its transaction' });
    await first.proc.stop('SIGKILL');
    const answer = await pending;
    expect(answer instanceof Error || (answer as { status?: number }).status === undefined).toBe(true);

    // 2. Restarted: nothing of the commit is there.
    const second = await start();
    lead = await signIn(second.url);
    const d = await lead.get<DisputeDetail>(`/api/projects/${projectId}/disputes/${a!.id}`);
    expect(d.body.dispute).toMatchObject({ status: 'open', labelId: null, committedAt: null });
    expect(d.body.label).toBeNull();
    const labels = await lead.get<{ items: ConsensusLabel[] }>(`/api/projects/${projectId}/consensus?itemId=${a!.itemId}&state=all`);
    expect(labels.body.items).toHaveLength(0);
    if (dbUrl) {
      expect(await query(dbUrl, `select count(*)::int as n from audit_log where action = 'consensus.commit' and target = $1`, [a!.id])).toEqual([{ n: 0 }]);
      expect(await query(dbUrl, `select count(*)::int as n from consensus_labels where dispute_id = $1`, [a!.id])).toEqual([{ n: 0 }]);
    }
    const s = await connected(openSocket({ url: second.url, cookie: lead.cookie, reconnection: false }));
    expect(await emitAck<Ack<DocJoined>>(s, 'doc:join', a!.doc)).toEqual({ ok: true, data: { access: 'write' } });
    s.close();
    // The same commit again writes it, once.
    const again = await lead.post<CommitResult>(`/api/projects/${projectId}/disputes/${a!.id}/commit`, undefined, { headers: { 'idempotency-key': 'killed' } });
    expect(again.status).toBe(201);

    // 3. Killed right after answering 201: all of it survives. The demo's disagreement has no single
    // most common judgment, so its room starts empty: the lead starts from its first judgment.
    const bDetail = (await lead.get<DisputeDetail>(`/api/projects/${projectId}/disputes/${b!.id}`)).body;
    const sb = await connected(openSocket({ url: second.url, cookie: lead.cookie, reconnection: false }));
    const room = openDoc(sb, b!.doc);
    await waitFor(() => room.provider.synced, { message: 'the room synced' });
    if (readDisputeProposal(room.doc).preference === null) {
      const [first] = bDetail.judgments;
      writeDisputeProposal(room.doc, { preference: first!.preference, scores: first!.scores, spans: first!.spans });
    }
    // The commit reads the room on the server: once the proposal has arrived there, it is written.
    const ok = (await waitFor(async () => {
      const r = await lead.post<CommitResult>(`/api/projects/${projectId}/disputes/${b!.id}/commit`, undefined, { headers: { 'idempotency-key': 'survives' } });
      return r.status === 201 ? r : null;
    }, { message: 'the commit of the started proposal' }))!;
    expect(ok.status).toBe(201);
    room.close();
    sb.close();
    await second.proc.stop('SIGKILL');
    const third = await start();
    lead = await signIn(third.url);
    for (const [dispute, label] of [
      [a!, again.body.label],
      [b!, ok.body.label],
    ] as const) {
      const after = await lead.get<DisputeDetail>(`/api/projects/${projectId}/disputes/${dispute.id}`);
      expect(after.body.dispute).toMatchObject({ status: 'committed', labelId: label.id });
      expect(after.body.label?.label).toEqual(label.label);
      const retry = await lead.post<CommitResult>(`/api/projects/${projectId}/disputes/${dispute.id}/commit`, undefined, { headers: { 'idempotency-key': 'after-restart' } });
      expect(retry.status).toBe(200);
      expect(retry.body.label.id).toBe(label.id);
      const s3 = await connected(openSocket({ url: third.url, cookie: lead.cookie, reconnection: false }));
      expect(await emitAck<Ack<DocJoined>>(s3, 'doc:join', dispute.doc)).toEqual({ ok: true, data: { access: 'read' } });
      s3.close();
    }
    if (dbUrl) expect(await query(dbUrl, `select count(*)::int as n from audit_log where action = 'consensus.commit'`)).toEqual([{ n: 2 }]);
    await third.proc.stop('SIGTERM');
  }, 900_000);
});
