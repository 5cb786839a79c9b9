/**
 * Live calibration sessions (issue 12) against a real server (PGlite), with real socket.io clients:
 * - a pairwise session with five participants (the lead judging too): blind round 1, reveal, a
 *   discussion (notes written in the session's live document, the rubric draft edited live), a blind
 *   round 2, the end; the report's blind vs after agreement equals @accord/metrics on the judgments
 *   stored in the database; a late joiner catches up, a dropped participant keeps their submission;
 * - blindness: every byte each participant receives (REST bodies, socket events, live-document
 *   updates and presence) is captured, and before each reveal none holds another participant's canary
 *   (a unique word in their justification) — afterwards they all do, which proves the capture works;
 * - the same agreement check for a ranking project (Kendall's W) and for span marks (overlap F1);
 * - a non-participant is refused (REST 403, socket and notes refused; never-members 404);
 * - the phase is the same on another node and after a node restart (read from the database).
 * Runs on PGlite and, where the test environment provides one, PostgreSQL (LISTEN/NOTIFY between nodes).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDimensionText, itemNotes } from '@accord/collab';
import type { Ack, CalibrationReport, CalibrationRoundResult, CalibrationSession, CalibrationState, JudgmentPayload, RubricVersion } from '@accord/core';
import { calibrationJudgments, calibrationRounds, items as itemsTable } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { kendallW, krippendorffAlpha, spanAgreement } from '@accord/metrics';
import { ApiClient } from '../utils/client.ts';
import { connected, emitAck, openDoc, openSocket, type LiveDoc } from '../utils/collab.ts';
import { createFactory, type Factory, type FactoryProject, type FactoryUser } from '../utils/factory.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';

interface Peer {
  user: FactoryUser;
  /** The participant's REST client; every response body is captured. */
  api: ApiClient;
  socket: Socket;
  notes: LiveDoc;
  /** Every byte received: REST bodies and raw websocket frames (socket events, doc updates, presence). */
  bytes: Buffer[];
  states: CalibrationState[];
}

/** A REST client whose every response body is appended to `sink`. */
function capturing(base: string, cookie: string | null, sink: Buffer[]): ApiClient {
  const c = new ApiClient(base, async (url, init) => {
    const r = await fetch(url, init);
    const buf = Buffer.from(await r.arrayBuffer());
    sink.push(buf);
    return new Response(r.status === 204 ? null : buf, { status: r.status, headers: r.headers });
  });
  c.cookie = cookie;
  return c;
}

/** A socket whose every received websocket frame is appended to `sink`. */
function capturingSocket(url: string, cookie: string | null, sink: Buffer[]): Socket {
  const socket = openSocket({ url, cookie });
  socket.io.on('open', () => {
    socket.io.engine.on('data', (d: unknown) => sink.push(typeof d === 'string' ? Buffer.from(d) : Buffer.from(d as ArrayBuffer)));
  });
  return socket;
}

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

let t: TestServer;
let factory: Factory;
const opened: Peer[] = [];
const kinds = await testDatabaseKinds();

const base = (p: { id: string }) => `/api/projects/${p.id}/calibration`;

async function itemIds(p: FactoryProject): Promise<string[]> {
  const r = await p.lead.client.get<{ items: { id: string; externalId: string }[] }>(`/api/projects/${p.id}/items?limit=100`);
  const byExt = new Map(r.body.items.map((i) => [i.externalId, i.id]));
  return p.items.map((e) => byExt.get(e)!);
}

async function peer(u: FactoryUser, sessionId: string, url = t.url): Promise<Peer> {
  const bytes: Buffer[] = [];
  const api = capturing(url, u.client.cookie, bytes);
  const socket = capturingSocket(url, u.client.cookie, bytes);
  await connected(socket);
  const states: CalibrationState[] = [];
  socket.on('calibration:state', (s: CalibrationState) => states.push(s));
  const joined = await emitAck<Ack<CalibrationState>>(socket, 'calibration:join', sessionId);
  expect(joined).toMatchObject({ ok: true });
  const notes = openDoc(socket, `calibration:${sessionId}`);
  notes.awareness.setLocalStateField('cursor', null);
  await waitFor(() => notes.provider.synced, { message: 'notes synced' });
  const p = { user: u, api, socket, notes, bytes, states };
  opened.push(p);
  return p;
}

/** Other participants' canaries found anywhere in what this peer received. */
function leaks(p: Peer, canaries: Map<string, string>): string[] {
  const all = Buffer.concat(p.bytes);
  return [...canaries].filter(([userId, c]) => userId !== p.user.id && all.includes(c)).map(([, c]) => c);
}

/** Every request a participant could make before the reveal (all captured). */
async function pokeEverything(p: Peer, projectId: string, sessionId: string, roundId: string) {
  const s = `/api/projects/${projectId}/calibration/${sessionId}`;
  await p.api.get(s);
  await p.api.get(`/api/projects/${projectId}/calibration`);
  const round = await p.api.get(`${s}/rounds/${roundId}`);
  expect(round.status).toBe(403);
  await p.api.get(`${s}/report`);
  await p.api.get(`${s}/audit`);
  await p.api.get(`/api/projects/${projectId}/judgments?limit=100`);
  await emitAck(p.socket, 'calibration:join', sessionId);
}

function pairwisePayload(value: number, help: [number, number], overall: number, canary: string, spans: JudgmentPayload['spans'] = []): JudgmentPayload {
  return {
    preference: { kind: 'pairwise', a: 'r1', b: 'r2', value },
    scores: [
      { dimension: 'helpfulness', responseId: 'r1', value: help[0] },
      { dimension: 'helpfulness', responseId: 'r2', value: help[1] },
      { dimension: 'overall', value: overall },
    ],
    spans,
    flags: [],
    justification: `${words(5, 'because')} ${canary}`,
  };
}

/** The stored blind judgments of a round, read from the database. */
async function stored(roundId: string) {
  const rows = await t.db.db.select().from(calibrationJudgments).where(eq(calibrationJudgments.roundId, roundId));
  return rows.filter((r) => r.blind).sort((a, b) => (a.userId < b.userId ? -1 : 1));
}

const alphaPref = (rows: { payload: unknown }[]) =>
  krippendorffAlpha([rows.map((r) => (r.payload as JudgmentPayload).preference).map((p) => (p.kind === 'pairwise' ? p.value : null))], { level: 'ordinal', categories: [-3, -2, -1, 0, 1, 2, 3] });

const alphaDim = (rows: { payload: unknown }[], dim: string, targets: (string | null)[]) =>
  krippendorffAlpha(
    targets.map((target) => rows.map((r) => (r.payload as JudgmentPayload).scores.find((s) => s.dimension === dim && (s.responseId ?? null) === target)?.value ?? null)),
    { level: 'ordinal' },
  );

describe.each(kinds)('calibration sessions (%s)', (kind) => {
  beforeAll(async () => {
    t = await createTestServer(kind);
    factory = createFactory(await t.as('admin'), t.server.deps);
  });
  afterAll(async () => {
    for (const p of opened.splice(0)) {
      p.notes.close();
      p.socket.close();
    }
    await t?.close();
  });

  describe('a pairwise session: five participants, blind rounds, reveal, discussion, round two, end', () => {
    let p: FactoryProject;
    let sessionId: string;
    let item: string;
    const peers: Peer[] = [];
    let late: FactoryUser;
    let outsider: FactoryUser;
    const round1 = [-3, -1, 0, 2, 3];
    const round2 = [-2, -2, -1, -2, -3];
    const canaries1 = new Map<string, string>();
    const canaries2 = new Map<string, string>();
    let r1: string;
    let r2: string;

    beforeAll(async () => {
      p = await factory.project({ items: 2, trainers: 6 });
      const ids = await itemIds(p);
      item = ids[0]!;
      late = p.trainers[4]!;
      outsider = p.trainers[5]!;
      const participants = [p.lead, ...p.trainers.slice(0, 4), late];
      const created = await p.lead.client.post<CalibrationSession>(base(p), { title: 'Sky colour', participants: participants.map((u) => u.id), items: [item], showNames: true });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ phase: 'lobby', itemCount: 1, participantCount: 6, canLead: true, rubricVersion: p.rubricVersion });
      sessionId = created.body.id;
      for (const u of [p.lead, ...p.trainers.slice(0, 4)]) peers.push(await peer(u, sessionId));
      for (const x of peers) expect((await x.api.post(`${base(p)}/${sessionId}/join`)).status).toBe(200);
    });

    it('trainers see the session in their list; a non-participant is refused everywhere', async () => {
      const mine = await peers[1]!.api.get<{ items: { id: string; isParticipant: boolean }[] }>(base(p));
      expect(mine.body.items).toEqual([expect.objectContaining({ id: sessionId, isParticipant: true })]);
      expect((await outsider.client.get<{ items: unknown[] }>(base(p))).body.items).toEqual([]);
      expect((await outsider.client.post(`${base(p)}/${sessionId}/join`)).status).toBe(403);
      expect((await outsider.client.get(`${base(p)}/${sessionId}`)).status).toBe(403);
      expect((await p.reviewer.client.post(`${base(p)}/${sessionId}/join`)).status).toBe(403);
      const sock = openSocket({ url: t.url, cookie: outsider.client.cookie });
      await connected(sock);
      const r = await emitAck<Ack<CalibrationState>>(sock, 'calibration:join', sessionId);
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const d = await emitAck<Ack<unknown>>(sock, 'doc:join', `calibration:${sessionId}`);
      expect(d).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      sock.close();
      const stranger = await factory.user();
      expect((await stranger.client.post(`${base(p)}/${sessionId}/join`)).status).toBe(404);
      // Trainers cannot run the session.
      expect((await peers[1]!.api.post(`${base(p)}/${sessionId}/rounds`)).status).toBe(403);
    });

    it('round 1 is blind: nobody, the lead included, receives another participant’s judgment before the reveal', async () => {
      const opened1 = await p.lead.client.post<CalibrationSession>(`${base(p)}/${sessionId}/rounds`);
      expect(opened1.status).toBe(200);
      expect(opened1.body).toMatchObject({ phase: 'judging', round: { number: 1, index: 1 } });
      r1 = opened1.body.round!.id;
      // Everyone's socket hears the phase.
      for (const x of peers) await waitFor(() => x.states.some((s) => s.phase === 'judging' && s.roundId === r1), { message: 'judging state' });
      // No discussion channel during a blind round: the notes are read-only.
      itemNotes(peers[1]!.notes.doc, item).insert(0, 'psst');
      await waitFor(() => peers[1]!.notes.errors.length > 0 || peers[1]!.notes.refused.length > 0, { message: 'blind notes write refused' });
      for (let i = 0; i < peers.length; i++) {
        const x = peers[i]!;
        const s = await x.api.get<CalibrationSession>(`${base(p)}/${sessionId}`);
        expect(s.body.task).toMatchObject({ roundId: r1, roundNumber: 1, taskKind: 'pairwise' });
        // Trainers never see model names (the project does not show them) nor gold.
        expect(JSON.stringify(s.body.task)).not.toContain('model-a');
        const canary = `canary1x${randomUUID().replace(/-/g, '')}`;
        canaries1.set(x.user.id, canary);
        const sub = await x.api.post<{ blind: boolean }>(`${base(p)}/${sessionId}/submit`, { roundId: r1, payload: pairwisePayload(round1[i]!, [((i % 3) + 1) as number, 2], i % 2, canary) });
        expect(sub.status).toBe(200);
        expect(sub.body.blind).toBe(true);
        // Idempotent repeat; a different second judgment is refused.
        expect((await x.api.post<{ repeated: boolean }>(`${base(p)}/${sessionId}/submit`, { roundId: r1, payload: pairwisePayload(round1[i]!, [((i % 3) + 1) as number, 2], i % 2, canary) })).body.repeated).toBe(true);
        expect((await x.api.post(`${base(p)}/${sessionId}/submit`, { roundId: r1, payload: pairwisePayload(0, [1, 1], 0, canary) })).status).toBe(409);
        for (const y of peers) await pokeEverything(y, p.id, sessionId, r1);
      }
      // Everyone sees who has submitted, never what.
      const s = await peers[2]!.api.get<CalibrationSession>(`${base(p)}/${sessionId}`);
      expect(s.body.participants.filter((x) => x.submitted).map((x) => x.userId).sort()).toEqual(peers.map((x) => x.user.id).sort());
      for (const x of peers) await waitFor(() => x.states.at(-1)?.submitted.length === 5, { message: 'submitted state' });
      for (const x of peers) expect(leaks(x, canaries1)).toEqual([]);
    });

    it('the reveal shows every judgment, the distribution and α with its interval; then everyone has the canaries', async () => {
      const rev = await p.lead.client.post<CalibrationSession>(`${base(p)}/${sessionId}/reveal`, {});
      expect(rev.status).toBe(200);
      expect(rev.body.phase).toBe('revealed');
      const res = await peers[3]!.api.get<CalibrationRoundResult>(`${base(p)}/${sessionId}/rounds/${r1}`);
      expect(res.status).toBe(200);
      expect(res.body.judgments).toHaveLength(5);
      expect(res.body.judgments.every((j) => j.blind && j.userId !== null)).toBe(true);
      expect(res.body.distribution.preference.find((c) => c.value === 3)?.count).toBe(1);
      const rows = await stored(r1);
      expect(res.body.agreement.preference.statistic).toBe('alpha-ordinal');
      expect(res.body.agreement.preference.value).toBeCloseTo(alphaPref(rows)!, 12);
      expect(res.body.agreement.preference.ci).not.toBeNull();
      for (const x of peers) await pokeEverything2(x);
      // The capture works: after the reveal each peer has received every canary.
      for (const x of peers) expect(leaks(x, canaries1).length).toBe(4);

      async function pokeEverything2(x: Peer) {
        await x.api.get(`${base(p)}/${sessionId}/rounds/${r1}`);
      }
    });

    it('a late joiner catches up on the current phase; a judgment after the reveal never counts as blind', async () => {
      const lp = await peer(late, sessionId);
      peers.push(lp);
      const s = await lp.api.post<CalibrationSession>(`${base(p)}/${sessionId}/join`);
      expect(s.body).toMatchObject({ phase: 'revealed', round: { id: r1 } });
      const sub = await lp.api.post<{ blind: boolean }>(`${base(p)}/${sessionId}/submit`, { roundId: r1, payload: pairwisePayload(-3, [1, 1], 0, 'latecomer') });
      expect(sub.body.blind).toBe(false);
      const res = await lp.api.get<CalibrationRoundResult>(`${base(p)}/${sessionId}/rounds/${r1}`);
      expect(res.body.judgments.find((j) => j.userId === late.id)).toMatchObject({ blind: false });
      expect(res.body.agreement.preference.n).toBe(5);
    });

    it('discussion: notes are shared live and the rubric draft is edited in the same live document as the rubric editor', async () => {
      const writer = peers[1]!;
      await waitFor(() => writer.notes.provider.access === 'write', { message: 'notes writable after the reveal' });
      itemNotes(writer.notes.doc, item).insert(itemNotes(writer.notes.doc, item).length, ' The rubric says a factual error outweighs style.');
      for (const x of peers) await waitFor(() => itemNotes(x.notes.doc, item).toString().includes('factual error outweighs'), { message: 'notes reach everyone' });
      // The capture sees live-document frames too (so the blindness checks above covered them).
      for (const x of peers) if (x !== writer) expect(Buffer.concat(x.bytes).includes('factual error outweighs')).toBe(true);
      const rubric = openDoc(peers[0]!.socket, `rubric:${p.id}`);
      await waitFor(() => rubric.provider.synced, { message: 'rubric synced' });
      getDimensionText(rubric.doc, 'helpfulness')!.insert(0, 'Calibrated: ');
      const other = openDoc(openSocket({ url: t.url, cookie: p.reviewer.client.cookie }), `rubric:${p.id}`);
      await waitFor(() => getDimensionText(other.doc, 'helpfulness')?.toString().startsWith('Calibrated: '), { message: 'rubric edit seen in the editor' });
      other.close();
      rubric.close();
    });

    it('round 2 is blind again, a dropped participant keeps their submission and sees the phase', async () => {
      const opened2 = await p.lead.client.post<CalibrationSession>(`${base(p)}/${sessionId}/rounds`);
      expect(opened2.body).toMatchObject({ phase: 'judging', round: { number: 2 } });
      r2 = opened2.body.round!.id;
      for (let i = 0; i < 5; i++) {
        const x = peers[i]!;
        const canary = `canary2x${randomUUID().replace(/-/g, '')}`;
        canaries2.set(x.user.id, canary);
        expect((await x.api.post(`${base(p)}/${sessionId}/submit`, { roundId: r2, payload: pairwisePayload(round2[i]!, [2, 1], 1, canary) })).status).toBe(200);
        for (const y of peers) await pokeEverything(y, p.id, sessionId, r2);
      }
      // Trainer 1 drops and comes back: their judgment and the phase are there.
      peers[1]!.socket.disconnect();
      peers[1]!.socket.connect();
      await connected(peers[1]!.socket);
      const back = await peers[1]!.api.get<CalibrationSession>(`${base(p)}/${sessionId}`);
      expect(back.body).toMatchObject({ phase: 'judging', round: { id: r2 }, mine: { blind: true } });
      expect(back.body.mine!.payload.justification).toContain(canaries2.get(peers[1]!.user.id)!);
      for (const x of peers) expect(leaks(x, canaries2)).toEqual([]);
      // The late joiner has not submitted: the lead must force the reveal, and the count is kept.
      const early = await p.lead.client.post(`${base(p)}/${sessionId}/reveal`, {});
      expect(early.status).toBe(409);
      const rev = await p.lead.client.post<CalibrationSession>(`${base(p)}/${sessionId}/reveal`, { force: true, showNames: false });
      expect(rev.body.round).toMatchObject({ id: r2, missingAtReveal: 1 });
      const res = await peers[2]!.api.get<CalibrationRoundResult>(`${base(p)}/${sessionId}/rounds/${r2}`);
      expect(res.body.judgments.every((j) => j.userId === null && j.label.startsWith('Participant '))).toBe(true);
    });

    it('the end: report before/after equals @accord/metrics on the stored judgments; archived read-only with an audit log; rubric published', async () => {
      const ended = await p.lead.client.post<CalibrationSession>(`${base(p)}/${sessionId}/end`, { judgments: 'training', publishRubric: { note: 'After calibration' } });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ phase: 'ended', judgmentsUse: 'training' });
      expect(ended.body.publishedVersion).toBe((p.rubricVersion ?? 0) + 1);
      const v = await p.lead.client.get<RubricVersion>(`/api/projects/${p.id}/rubric/versions/${ended.body.publishedVersion}`);
      expect(JSON.stringify(v.body)).toContain('Calibrated: ');
      const rep = await peers[1]!.api.get<CalibrationReport>(`${base(p)}/${sessionId}/report`);
      expect(rep.status).toBe(200);
      const b = await stored(r1);
      const a = await stored(r2);
      expect(rep.body.overall.blind!.preference.value).toBeCloseTo(alphaPref(b)!, 12);
      expect(rep.body.overall.after!.preference.value).toBeCloseTo(alphaPref(a)!, 12);
      const dim = (f: CalibrationReport['overall']['blind'], id: string) => f!.dimensions.find((d) => d.dimension === id)!.value;
      const close = (x: number | null, y: number | null) => (y === null ? expect(x).toBeNull() : expect(x).toBeCloseTo(y, 12));
      close(dim(rep.body.overall.blind, 'helpfulness'), alphaDim(b, 'helpfulness', ['r1', 'r2']));
      close(dim(rep.body.overall.blind, 'overall'), alphaDim(b, 'overall', [null]));
      close(dim(rep.body.overall.after, 'helpfulness'), alphaDim(a, 'helpfulness', ['r1', 'r2']));
      expect(rep.body.items).toEqual([expect.objectContaining({ itemId: item, rounds: 2 })]);
      expect(rep.body.participants).toHaveLength(6);
      expect(rep.body.participants.filter((x) => x.blind !== null)).toHaveLength(5);
      expect(rep.body.effect.days).toBeGreaterThan(0);
      // Archived: read-only everywhere.
      expect((await peers[1]!.api.post(`${base(p)}/${sessionId}/submit`, { roundId: r2, payload: pairwisePayload(0, [1, 1], 0, 'x') })).status).toBe(409);
      expect((await p.lead.client.post(`${base(p)}/${sessionId}/rounds`)).status).toBe(409);
      await waitFor(() => peers[1]!.notes.provider.access === 'read', { message: 'notes frozen' });
      const audit = await p.lead.client.get<{ rounds: { round: { id: string }; judgments: unknown[] }[] }>(`${base(p)}/${sessionId}/audit`);
      expect(audit.status).toBe(200);
      expect(audit.headers.get('content-disposition')).toContain(`calibration-${sessionId}.json`);
      expect(audit.body.rounds.map((r) => r.round.id)).toEqual([r1, r2]);
      expect((await peers[1]!.api.get(`${base(p)}/${sessionId}/audit`)).status).toBe(403);
    });
  });

  describe('agreement that fits the task: rankings (Kendall’s W) and span marks (overlap F1)', () => {
    it('a ranking session reports W equal to @accord/metrics on the stored rankings', async () => {
      const rows = [0, 1].map((i) => ({
        externalId: `rank-${i}-${randomUUID().slice(0, 6)}`,
        prompt: 'Rank these.',
        responses: ['x', 'y', 'z'].map((id) => ({ id, model: `m-${id}`, content: `Answer ${id} ${i}` })),
      }));
      const p = await factory.project({ taskKind: 'ranking', items: rows, trainers: 3 });
      const [item] = await itemIds(p);
      const s = (await p.lead.client.post<CalibrationSession>(base(p), { title: 'Ranks', participants: p.trainers.map((u) => u.id), items: [item] })).body;
      const r = (await p.lead.client.post<CalibrationSession>(`${base(p)}/${s.id}/rounds`)).body.round!.id;
      const orders = [[['x'], ['y'], ['z']], [['x'], ['z'], ['y']], [['y'], ['x', 'z']]];
      for (let i = 0; i < 3; i++) {
        const u = p.trainers[i]!;
        await u.client.post(`${base(p)}/${s.id}/join`);
        const payload = {
          preference: { kind: 'ranking', groups: orders[i] },
          scores: ['x', 'y', 'z'].map((id) => ({ dimension: 'helpfulness', responseId: id, value: 1 + ((i + id.charCodeAt(0)) % 3) })).concat([{ dimension: 'overall', value: 1 } as never]),
          spans: [],
          flags: [],
          justification: words(6, 'rank'),
        };
        const sub = await u.client.post(`${base(p)}/${s.id}/submit`, { roundId: r, payload });
        expect(sub.status, sub.text).toBe(200);
      }
      await p.lead.client.post(`${base(p)}/${s.id}/reveal`, {});
      await p.lead.client.post(`${base(p)}/${s.id}/end`, { judgments: 'discarded' });
      const rep = (await p.lead.client.get<CalibrationReport>(`${base(p)}/${s.id}/report`)).body;
      const [it] = await t.db.db.select().from(itemsTable).where(eq(itemsTable.id, item!));
      const canonical = it!.responses.map((x) => x.id);
      const judged = await stored(r);
      const pos = (groups: string[][]) => canonical.map((id) => groups.findIndex((g) => g.includes(id)) + 1);
      const ranks = judged.map((j) => pos(((j.payload as JudgmentPayload).preference as { groups: string[][] }).groups));
      const w = kendallW(canonical.map((_, o) => ranks.map((rk) => rk[o]!)));
      expect(rep.overall.blind!.preference.statistic).toBe('kendall-w');
      expect(rep.overall.blind!.preference.value).toBeCloseTo((w.Wt ?? w.W)!, 12);
      expect(rep.overall.after).toBeNull();
    });

    it('a session with span marks reports the mean overlap F1 equal to @accord/metrics', async () => {
      const p = await factory.project({ items: 1, trainers: 3 });
      const [item] = await itemIds(p);
      const s = (await p.lead.client.post<CalibrationSession>(base(p), { title: 'Spans', participants: p.trainers.map((u) => u.id), items: [item] })).body;
      const r = (await p.lead.client.post<CalibrationSession>(`${base(p)}/${s.id}/rounds`)).body.round!.id;
      const marks: JudgmentPayload['spans'][] = [
        [{ responseId: 'r2', start: 0, end: 7, category: 'hallucination', severity: 'major', note: '' }],
        [{ responseId: 'r2', start: 3, end: 12, category: 'hallucination', severity: 'minor', note: '' }],
        [{ responseId: 'r1', start: 0, end: 8, category: 'hallucination', severity: 'minor', note: '' }],
      ];
      for (let i = 0; i < 3; i++) {
        const u = p.trainers[i]!;
        await u.client.post(`${base(p)}/${s.id}/join`);
        const sub = await u.client.post(`${base(p)}/${s.id}/submit`, { roundId: r, payload: pairwisePayload(-1, [2, 1], 1, `span${i}`, marks[i]) });
        expect(sub.status, sub.text).toBe(200);
      }
      await p.lead.client.post(`${base(p)}/${s.id}/reveal`, {});
      const res = (await p.lead.client.get<CalibrationRoundResult>(`${base(p)}/${s.id}/rounds/${r}`)).body;
      expect(res.distribution.spans).toEqual(expect.arrayContaining([expect.objectContaining({ responseId: 'r2', category: 'hallucination', marks: 2, participants: 2 })]));
      const judged = await stored(r);
      const key = (j: { payload: unknown }) => (j.payload as JudgmentPayload).spans.map((x) => ({ start: x.start, end: x.end, category: `${x.responseId}\u0001${x.category}` }));
      const f1s: number[] = [];
      for (let i = 0; i < judged.length; i++)
        for (let k = i + 1; k < judged.length; k++) {
          const f = spanAgreement(key(judged[i]!), key(judged[k]!)).overall.overlapF1;
          if (f !== null) f1s.push(f);
        }
      expect(res.agreement.spans!.statistic).toBe('span-f1');
      expect(res.agreement.spans!.value).toBeCloseTo(f1s.reduce((x, y) => x + y, 0) / f1s.length, 12);
    });
  });

  describe('the phase is in the database: the same on another node, and after a node restart', () => {
    it('a second node serves the same phase and pushes changes made on the first; a restarted node reads it back', async () => {
      const p = await factory.project({ items: 1, trainers: 2 });
      const [item] = await itemIds(p);
      const s = (await p.lead.client.post<CalibrationSession>(base(p), { title: 'Nodes', participants: p.trainers.map((u) => u.id), items: [item] })).body;
      await p.lead.client.post(`${base(p)}/${s.id}/rounds`);
      const b = await t.sibling();
      const onB = new ApiClient(b.url);
      onB.cookie = p.trainer.client.cookie;
      expect((await onB.get<CalibrationSession>(`${base(p)}/${s.id}`)).body).toMatchObject({ phase: 'judging', round: { number: 1 } });
      const sock = openSocket({ url: b.url, cookie: p.trainer.client.cookie });
      await connected(sock);
      const states: CalibrationState[] = [];
      sock.on('calibration:state', (x: CalibrationState) => states.push(x));
      const j = await emitAck<Ack<CalibrationState>>(sock, 'calibration:join', s.id);
      expect(j, JSON.stringify(j)).toMatchObject({ ok: true, data: { phase: 'judging' } });
      await p.lead.client.post(`${base(p)}/${s.id}/reveal`, { force: true });
      await waitFor(() => states.some((x) => x.phase === 'revealed'), { message: 'node B hears the reveal' });
      sock.close();
      await b.close();
      const c = await t.sibling();
      const onC = new ApiClient(c.url);
      onC.cookie = p.trainer.client.cookie;
      expect((await onC.get<CalibrationSession>(`${base(p)}/${s.id}`)).body).toMatchObject({ phase: 'revealed' });
      const rounds = await t.db.db.select().from(calibrationRounds).where(eq(calibrationRounds.sessionId, s.id));
      expect(rounds[0]!.revealedAt).not.toBeNull();
    });
  });
});
