/**
 * Quality figures at scale (`npm run bench:quality [-- --judgments N]`), on PostgreSQL: a generated
 * project of 1,000,000 judgments (200 trainers, 200,000 items, 5 rubric dimensions: 3 per response,
 * 2 per comparison; 5 judgments per item) written with COPY, the quality triggers keeping their
 * contributions as the rows arrive (COPY in chunks of whole items). Then, in the same run:
 * - the dashboard's API calls (agreement with 200 bootstrap resamples, annotators, both
 *   leaderboards, flags, the item list sorted by agreement), each the median of 3 — goal < 1 s;
 *   flag thresholds are set just before, so the first annotators' call waits for the one evaluation
 *   of every member under the new thresholds (flags overall and per rubric dimension, drift,
 *   medians); after that members are evaluated off the request path, only those a change touched;
 * - a submit's incremental update: the insert of one submitted judgment with the quality triggers
 *   minus the same insert without them (median of 40 each, on different items, in alternating blocks,
 *   each insert on a quiet database; the member evaluation it queues is timed apart) — goal < 5 ms;
 * - a full recompute with @accord/metrics from the raw judgments (read, α nominal and ordinal,
 *   percent agreement, Bradley–Terry) for comparison.
 * Each goal ends with a line `goal (…): met|NOT met (…)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDb } from '@accord/db';
import { openTestDatabase } from '@accord/db/testing';
import { startServer } from '@accord/server';
import { bradleyTerry, createRandom, krippendorffAlpha, pairwiseCounts, percentAgreement, type Comparison } from '@accord/metrics';
import { hashPassword } from '../../apps/server/src/features/auth/passwords.ts';
import { percentile } from '../utils/bench-load.ts';
import { ApiClient } from '../utils/client.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: a positive whole number, got ${process.argv[i + 1]}`);
  return n;
}

const JUDGMENTS = arg('judgments', 1_000_000);
/** `--keep`: leave the generated database in place (its URL is printed) to EXPLAIN the queries. */
const KEEP = process.argv.includes('--keep');
/** `--reuse <url>`: measure again on a database a `--keep` run left (no generation; kept afterwards). */
const REUSE = process.argv.includes('--reuse') ? process.argv[process.argv.indexOf('--reuse') + 1] : undefined;
if (process.argv.includes('--reuse') && !REUSE?.startsWith('postgres')) throw new Error('--reuse: a postgres:// URL of a database a --keep run left');
const PER_ITEM = 5;
const ITEMS = Math.max(1, Math.floor(JUDGMENTS / PER_ITEM));
const TRAINERS = Math.min(200, Math.max(PER_ITEM, Math.round(ITEMS / 1000)));
const MODELS = 20;
const CHUNK_ITEMS = 10_000;
// A generation is reproducible (seed 42). A --reuse run draws its submits' items afresh: with the same
// seed every run would add one more judgment to the same 84 items and measure them busier each time.
const rng = createRandom(REUSE ? Date.now() % 2 ** 31 : 42);

const tdb = REUSE ? null : await openTestDatabase('postgres');
if (tdb && tdb.options.kind !== 'postgres') throw new Error('bench:quality needs PostgreSQL (127.0.0.1:5432)');
const url = REUSE ?? (tdb!.options as { url: string }).url;
const db = await createDb({ kind: 'postgres', url, poolSize: 5 });
const dataDir = mkdtempSync(join(tmpdir(), 'accord-bench-'));
const server = await startServer({ env: { PORT: '0', HOST: '127.0.0.1', ACCORD_DATA_DIR: dataDir, ACCORD_LOG: 'error', NODE_ENV: 'test' }, db });
const client = new pg.Client({ connectionString: url });
await client.connect();
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const lead = new ApiClient(server.url);
  let project: string;
  if (REUSE) {
    // The kept project's lead signs in with a password set here.
    const r = await client.query<{ project: string; email: string; id: string }>(
      `select p.id as project, u.email, u.id from projects p join project_members pm on pm.project_id = p.id and pm.role = 'lead' join users u on u.id = pm.user_id
       where p.name = 'Bench quality' order by p.created_at desc limit 1`,
    );
    if (!r.rows[0]) throw new Error('--reuse: no "Bench quality" project in that database');
    project = r.rows[0].project;
    await client.query(`update users set password_hash = $2 where id = $1`, [r.rows[0].id, await hashPassword('bench lead password')]);
    await lead.login(r.rows[0].email, 'bench lead password');
    const n = (await client.query<{ n: string }>(`select count(*) as n from judgments where project_id = $1 and status = 'submitted'`, [project])).rows[0]!.n;
    console.log(`bench:quality — reusing ${Number(n).toLocaleString('en')} judgments (PostgreSQL, ${url.replace(/^.*\//, '')})`);
  } else {
    if (server.seed?.kind !== 'demo') throw new Error('expected the demo seed');
    const leadLogin = server.seed.logins.find((l) => l.role === 'lead')!;
    await lead.login(leadLogin.email, leadLogin.password);
    project = (await lead.post<{ id: string }>('/api/projects', { name: 'Bench quality' })).body.id;
    console.log(`bench:quality — ${JUDGMENTS.toLocaleString('en')} judgments, ${ITEMS.toLocaleString('en')} items, ${TRAINERS} trainers, 5 dimensions, ${MODELS} models (PostgreSQL)`);
  }
  let itemRowsDb: { id: string; responses: { model: string }[] }[] = [];
  if (REUSE) itemRowsDb = (await client.query<{ id: string; responses: { model: string }[] }>(`select id, responses from items where project_id = $1 order by position`, [project])).rows;
  else {
    // ---- generate: trainers, items, a published rubric version, judgments (COPY)
    let t0 = performance.now();
    await client.query(
      `insert into users (email, name, password_hash, active)
       select 'bench-' || g || '@bench.invalid', 'Bench trainer ' || g, 'x', true from generate_series(1, $1) g`,
      [TRAINERS],
    );
    const trainers = (await client.query<{ id: string }>(`select id from users where email like 'bench-%@bench.invalid' order by email`)).rows.map((r) => r.id);
    await client.query(`insert into project_members (project_id, user_id, role) select $1, unnest($2::uuid[]), 'trainer'`, [project, trainers]);
    const dims = [
      { id: 'helpfulness', target: 'response' },
      { id: 'accuracy', target: 'response' },
      { id: 'safety', target: 'response' },
      { id: 'overall', target: 'comparison' },
      { id: 'style', target: 'comparison' },
    ];
    await client.query(
      `insert into rubric_versions (project_id, version, content, note) values ($1, 1, $2::jsonb, 'bench')`,
      [project, JSON.stringify({ dimensions: dims.map((d) => ({ ...d, name: d.id, description: d.id, scale: { kind: 'likert', min: 1, max: 5 }, levels: [], weight: 1 })), precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [] })],
    );
    const models = Array.from({ length: MODELS }, (_, i) => `model-${String(i).padStart(2, '0')}`);
    const quality = models.map((_, i) => 1 + i / 4); // model i's latent strength
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    async function copy(sql: string, rows: Iterable<string>) {
      const stream = client.query(copyFrom(sql));
      await pipeline(Readable.from(rows), stream);
    }
    function* itemRows() {
      for (let i = 0; i < ITEMS; i++) {
        const a = rng.int(MODELS);
        let b = rng.int(MODELS - 1);
        if (b >= a) b++;
        const responses = [
          { id: 'r1', model: models[a], kind: 'markdown', content: 'x'.repeat(50 + rng.int(400)) },
          { id: 'r2', model: models[b], kind: 'markdown', content: 'y'.repeat(50 + rng.int(400)) },
        ];
        yield `${project}\tbench-${i}\tPrompt ${i}\t${esc(JSON.stringify(responses))}\t${i}\n`;
      }
    }
    await copy(`copy items (project_id, external_id, prompt, responses, position) from stdin`, itemRows());
    itemRowsDb = (await client.query<{ id: string; responses: { model: string }[] }>(`select id, responses from items where project_id = $1 order by position`, [project])).rows;
    console.log(`  items: ${fmt(ms(t0) / 1000)} s`);

    t0 = performance.now();
    const start = Date.now() - 60 * 86_400_000;
    let written = 0;
    for (let c0 = 0; c0 < itemRowsDb.length; c0 += CHUNK_ITEMS) {
      const chunk = itemRowsDb.slice(c0, c0 + CHUNK_ITEMS);
      function* judgmentRows() {
        for (let k = 0; k < chunk.length; k++) {
          const it = chunk[k]!;
          const qa = quality[models.indexOf(it.responses[0]!.model)]!;
          const qb = quality[models.indexOf(it.responses[1]!.model)]!;
          const first = rng.int(TRAINERS);
          for (let r = 0; r < PER_ITEM; r++) {
            const user = (first + r * 7) % TRAINERS;
            const u = rng.next();
            const pB = qb / (qa + qb);
            const v = u < 0.1 ? 0 : rng.next() < pB ? 1 + rng.int(3) : -(1 + rng.int(3));
            const scores = [
              ...['helpfulness', 'accuracy', 'safety'].flatMap((d) => ['r1', 'r2'].map((id) => ({ dimension: d, responseId: id, value: 1 + rng.int(5) }))),
              { dimension: 'overall', value: 1 + rng.int(5) },
              { dimension: 'style', value: 1 + rng.int(5) },
            ];
            const payload = { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: v }, scores, spans: [], flags: [], justification: 'word '.repeat(5 + rng.int(30)).trim() };
            const at = new Date(start + Math.floor(((c0 + k) / ITEMS) * 60 * 86_400_000) + r * 60_000).toISOString();
            const order = rng.next() < 0.5 ? '["r1","r2"]' : '["r2","r1"]';
            yield `${project}\t${it.id}\t${trainers[user]}\tsubmitted\taccord\t1\t${esc(JSON.stringify(payload))}\t${order}\t${20_000 + rng.int(100_000)}\t${at}\t${at}\n`;
          }
        }
      }
      await copy(
        `copy judgments (project_id, item_id, user_id, status, source, rubric_version, payload, response_order, time_spent_ms, submitted_at, updated_at) from stdin`,
        judgmentRows(),
      );
      written += chunk.length * PER_ITEM;
      if ((c0 / CHUNK_ITEMS) % 5 === 4 || c0 + CHUNK_ITEMS >= itemRowsDb.length) console.log(`  judgments: ${written.toLocaleString('en')} in ${fmt(ms(t0) / 1000)} s`);
    }
  }
  // The generation wrote every derived row about five times (one version per judgment of its item)
  // and left the dead versions behind; a live database's autovacuum removes them within minutes. This
  // machine's PostgreSQL may run with autovacuum off (printed below), so the bench vacuums itself, after
  // a generation and on --reuse (where the previous run's submits left a few), and measures a
  // maintained database, not the bulk load's leftovers (or autovacuum's own work while it measures).
  {
    const t0 = performance.now();
    const av = (await client.query<{ autovacuum: string }>('show autovacuum')).rows[0]!.autovacuum;
    await client.query('vacuum (analyze)');
    // Its dirty pages written now, not evicted one by one by the measured inserts.
    await client.query('checkpoint').catch((e: unknown) => console.log(`  (no checkpoint: ${(e as Error).message})`));
    console.log(`  vacuum (analyze) and checkpoint: ${fmt(ms(t0) / 1000)} s (this PostgreSQL's autovacuum: ${av})`);
  }
  // Flag thresholds, so the annotators' and flags' calls evaluate them (overall and per dimension).
  await client.query(`update projects set settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{quality}', $2::jsonb) where id = $1`, [
    project,
    JSON.stringify({ minKappaVsConsensus: 0.2, minGoldAccuracy: null, window: 20 }),
  ]);

  // ---- the dashboard's API calls
  // Members are evaluated (flags, drift, medians) in the background after each change, the ones it
  // touched; a change of thresholds re-evaluates every member once, which the first annotators' call
  // waits for. The other calls read stored figures; agreement and leaderboards are memoised per
  // digest of their contributions, so a repeated call with nothing changed reads but does not bootstrap.
  console.log('dashboard API (median of 3 calls each; the first call of each also shown):');
  const base = `/api/projects/${project}`;
  const calls: [string, string][] = [
    ['agreement (200 resamples)', `${base}/agreement?samples=200`],
    ['annotators', `${base}/agreement/trainers`],
    ['leaderboard from judgments', `${base}/leaderboard?from=judgments&samples=200`],
    ['leaderboard from consensus', `${base}/leaderboard?from=consensus&samples=200`],
    ['flags', `${base}/flags`],
    ['items by agreement', `${base}/items?sort=agreement&order=asc&limit=50`],
  ];
  const apiTimes: number[] = [];
  let alphaApi: number | null = null;
  for (const [name, path] of calls) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const r = await lead.get<{ overall?: { alpha: { nominal: { value: number | null } } } }>(path);
      times.push(ms(s));
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 300)}`);
      if (r.body.overall) alphaApi = r.body.overall.alpha.nominal.value;
    }
    apiTimes.push(median(times));
    console.log(`  ${name.padEnd(30)} ${fmt(median(times))} ms (first call ${fmt(times[0]!)} ms)`);
  }

  // ---- a submit's incremental update
  // A trainer who has not judged these items (users judge items first + 7r mod TRAINERS).
  const extra = (await client.query<{ id: string }>(`insert into users (email, name, password_hash) values ($1, 'Extra', 'x') returning id`, [`bench-extra-${Date.now()}@bench.invalid`])).rows[0]!.id;
  await client.query(`insert into project_members (project_id, user_id, role) values ($1, $2, 'trainer')`, [project, extra]);
  const picked = new Set<number>();
  while (picked.size < Math.min(84, itemRowsDb.length)) picked.add(rng.int(itemRowsDb.length));
  const sample = [...picked];
  const measured = await new Promise<{ with: number[]; without: number[]; evaluation: number[] }>((resolve, reject) => {
    const w = new Worker(new URL('./quality-submits.worker.mjs', import.meta.url), {
      workerData: { url, project, user: extra, items: sample.map((i) => itemRowsDb[i]!.id) },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
  const { with: withQ, without, evaluation } = measured;
  const incremental = median(withQ) - median(without);
  /** The first and third quartiles, for the spread of a median. */
  const spread = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${fmt(percentile(s, 25))}–${fmt(percentile(s, 75))}`;
  };
  console.log(`submit: insert of one judgment ${fmt(median(without))} ms without the quality trigger, ${fmt(median(withQ))} ms with it (medians of 40, each on a quiet database; quartiles ${spread(without)} and ${spread(withQ)} ms)`);
  console.log(`  then the member evaluation it queues, off the request path: settled within ${fmt(median(evaluation))} ms (median; polled every 10 ms)`);

  // The first calls after the submits: the contributions they changed are bootstrapped again (memo
  // misses), the members they touched evaluated (in the background, or by this call).
  const afterSubmits: string[] = [];
  for (const [name, path] of calls.slice(0, 3)) {
    const s0 = performance.now();
    const r = await lead.get(path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    afterSubmits.push(`${name} ${fmt(ms(s0))} ms`);
  }
  console.log(`first calls after the submits: ${afterSubmits.join(', ')}`);

  // ---- a full recompute with @accord/metrics
  let s = performance.now();
  const all = await client.query<{ item_id: string; user_id: string; v: number }>(
    `select item_id, user_id, (payload->'preference'->>'value')::int as v from judgments where project_id = $1 and status = 'submitted'`,
    [project],
  );
  const readMs = ms(s);
  s = performance.now();
  const users = new Map<string, number>();
  const units = new Map<string, (number | null)[]>();
  for (const r of all.rows) {
    if (!users.has(r.user_id)) users.set(r.user_id, users.size);
  }
  for (const r of all.rows) {
    let u = units.get(r.item_id);
    if (!u) units.set(r.item_id, (u = new Array<number | null>(users.size).fill(null)));
    u[users.get(r.user_id)!] = Math.sign(r.v);
  }
  const ratings = [...units.values()];
  const alphaFull = krippendorffAlpha(ratings, { level: 'nominal' });
  krippendorffAlpha(ratings, { level: 'ordinal' });
  percentAgreement(ratings);
  const modelOf = new Map(itemRowsDb.map((i) => [i.id, i.responses]));
  const comps: Comparison[] = all.rows.map((r) => {
    const [x, y] = modelOf.get(r.item_id) ?? [{ model: 'extra-a' }, { model: 'extra-b' }];
    return [x!.model, y!.model, r.v < 0 ? 'first' : r.v > 0 ? 'second' : 'tie'];
  });
  bradleyTerry(pairwiseCounts(comps));
  const computeMs = ms(s);
  console.log(`full recompute with @accord/metrics: read ${fmt(readMs)} ms + compute ${fmt(computeMs)} ms = ${fmt(readMs + computeMs)} ms (α nominal ${alphaFull?.toFixed(6)}; API before the 40 extra judgments ${alphaApi?.toFixed(6)})`);

  const worst = Math.max(...apiTimes);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average now (1, 5, 15 min; ${availableParallelism()} cores): ${load}`);
  console.log(`goal (dashboard API < 1 s per call): ${worst < 1000 ? 'met' : 'NOT met'} (slowest ${fmt(worst)} ms; full recompute ${fmt(readMs + computeMs)} ms)`);
  console.log(`goal (a submit's incremental update < 5 ms): ${incremental < 5 ? 'met' : 'NOT met'} (${fmt(incremental)} ms = ${fmt(median(withQ))} − ${fmt(median(without))} ms)`);
} finally {
  await client.end();
  await server.close();
  await db.close().catch(() => {});
  if (KEEP || REUSE) console.log(`kept the database: ${url}`);
  else await tdb!.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
