/**
 * `npm run bench:collab`: N simulated clients in one rubric document, each editing at a steady rate,
 * against Accord's real server (token auth, access checks, update checks, the update log in PGlite)
 * and against the reference relay @y/websocket-server@0.1.1 (no auth, no checks, no persistence),
 * with the same workload in the same run. The server, a few full observer clients and the lightweight
 * editor clients (see collab-clients.ts) run in three processes so the server's CPU is its own and
 * the load generator does not saturate at 200 clients. Prints observer-measured latency, CPU per delivered update, event-loop utilisation and
 * longest stall, memory, convergence, and Accord/reference ratios. A benchmark, not a test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? '50x100,200x200').split(',').map((s) => {
  const [clients, editsPerSecond] = s.split('x').map(Number);
  return { clients: clients!, editsPerSecond: editsPerSecond! };
});
const KINDS = (process.env.BENCH_KINDS ?? 'reference,accord').split(',') as Array<'reference' | 'accord'>;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 10_000);

type Msg = Record<string, unknown> & { type: string };

function child(file: string, args: string[]): { proc: ChildProcess; next(type: string, timeoutMs?: number): Promise<Msg> } {
  const prof = process.env.BENCH_PROFILE && file.includes(process.env.BENCH_PROFILE) ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-prof'] : [];
  // A larger young generation keeps the load generator's garbage collection out of the latencies (same for both servers).
  const proc = fork(join(here, file), args, { execArgv: ['--import', 'tsx', '--expose-gc', '--max-semi-space-size=64', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: Msg[] = [];
  const waiters: Array<{ type: string; resolve: (m: Msg) => void }> = [];
  proc.on('message', (m: Msg) => {
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0]!.resolve(m);
    else inbox.push(m);
  });
  return {
    proc,
    next(type, timeoutMs = 120_000) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no ${type} within ${timeoutMs} ms`)), timeoutMs);
        proc.once('exit', (code) => reject(new Error(`${file} exited (${code}) while waiting for ${type}`)));
        waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

const OBSERVERS = Number(process.env.BENCH_OBSERVERS ?? 8);

interface Result {
  kind: string;
  clients: number;
  editsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  cpuPerUpdateUs: number;
  elu: number;
  maxStallMs: number;
  rssMb: number;
  heapMb: number;
  converged: string;
  editorElu: number;
  editorCpu: number;
  observerElu: number;
  observerCpu: number;
}

async function run(kind: 'accord' | 'reference', clients: number, editsPerSecond: number): Promise<Result> {
  const server = child('collab-server.ts', [kind]);
  const procs = [server.proc];
  try {
    const ready = await server.next('ready');
    const common = { kind, url: ready.url, token: ready.token, docName: ready.docName, editsPerSecond, warmupMs: WARMUP_MS, loadMs: LOAD_MS };
    // Observers first: observer 0 writes the initial rubric, which the editors then sync once.
    const observers = child('collab-clients.ts', [JSON.stringify({ ...common, role: 'observers', count: OBSERVERS, seed: 7 })]);
    procs.push(observers.proc);
    await observers.next('ready');
    const editors = child('collab-clients.ts', [JSON.stringify({ ...common, role: 'editors', count: clients - OBSERVERS, seed: 42 })]);
    procs.push(editors.proc);
    await editors.next('ready');
    editors.proc.send({ type: 'go' });
    // The editors say when the measured window starts and ends; the server measures itself.
    await editors.next('measure-start');
    server.proc.send({ type: 'measure-start' });
    observers.proc.send({ type: 'measure-start' });
    await editors.next('measure-stop');
    server.proc.send({ type: 'measure-stop' });
    observers.proc.send({ type: 'measure-stop' });
    const stats = await server.next('stats');
    const sent = await editors.next('done');
    observers.proc.send({ type: 'edits', edits: sent.edits });
    const done = await observers.next('done', 90_000);
    server.proc.send({ type: 'state' });
    const state = await server.next('state');
    // Every edit goes to every other client: the other editors and all observers.
    const deliveredUpdates = (sent.measuredEdits as number) * (clients - 1);
    const serverOk = state.server === done.hash;
    const dbOk = state.db === null ? null : state.db === done.hash;
    const converged = [
      `observers ${done.converged ? 'yes' : `NO (${done.undelivered as number} edits undelivered)`}`,
      `server ${serverOk ? 'yes' : 'NO'}`,
      `db ${dbOk === null ? 'n/a' : dbOk ? 'yes' : 'NO'}`,
    ].join(', ');
    return {
      kind,
      clients,
      editsPerSecond,
      p50: done.p50 as number,
      p99: done.p99 as number,
      max: done.max as number,
      samples: done.samples as number,
      cpuPerUpdateUs: (stats.cpuMicros as number) / deliveredUpdates,
      elu: stats.elu as number,
      maxStallMs: stats.maxStallMs as number,
      rssMb: stats.rssMb as number,
      heapMb: stats.heapMb as number,
      converged,
      editorElu: sent.elu as number,
      editorCpu: sent.cpu as number,
      observerElu: done.measureElu as number,
      observerCpu: done.measureCpu as number,
    };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.connected) p.send({ type: 'exit' });
    const exited = Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once('exit', r)))));
    const timer = setTimeout(() => procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL')), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const results: Result[] = [];
console.log(
  [
    `collab benchmark: warm-up ${WARMUP_MS} ms, measured ${LOAD_MS} ms per run, loopback; the server, the observers and the editors in three processes.`,
    `Per run: ${OBSERVERS} observer clients apply every update into a Y.Doc and do not edit; the other clients are editors that send`,
    `the whole edit rate (each keeps a Y.Doc with only its own edits) and drain incoming frames without applying them.`,
    `Latency = observer-measured propagation: from an editor's send until the last of the ${OBSERVERS} observers has applied the edit`,
    `(edits sent in the measured window). CPU per delivered update = server process CPU / (edits × (clients − 1)).`,
    `Converged: observers agree, the server's document (and for Accord the database's) equals theirs.\n`,
  ].join('\n'),
);
for (const s of SCENARIOS) {
  for (const kind of KINDS) {
    const t0 = Date.now();
    const r = await run(kind, s.clients, s.editsPerSecond);
    results.push(r);
    console.log(`  ${kind.padEnd(9)} ${String(s.clients).padStart(3)} clients ${String(s.editsPerSecond).padStart(3)} edits/s  done in ${((Date.now() - t0) / 1000).toFixed(1)} s (load generators: editors ${f(r.editorElu * 100, 0)} % event loop / ${f(r.editorCpu * 100, 0)} % CPU, observers ${f(r.observerElu * 100, 0)} % / ${f(r.observerCpu * 100, 0)} %; ${r.samples} latency samples)`);
  }
}

console.log('\n| server | clients | edits/s | observer p50 ms | observer p99 ms | max ms | server CPU µs / delivered update | ELU | longest stall ms | RSS MB | heap MB | converged |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const name = r.kind === 'accord' ? 'Accord (Socket.IO, auth, checks, PGlite log)' : 'reference @y/websocket-server 0.1.1';
  console.log(`| ${name} | ${r.clients} | ${r.editsPerSecond} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.cpuPerUpdateUs, 2)} | ${f(r.elu * 100, 0)} % | ${f(r.maxStallMs)} | ${f(r.rssMb, 0)} | ${f(r.heapMb, 0)} | ${r.converged} |`);
}
console.log('\nAccord / reference (lower is better):');
for (const s of SCENARIOS) {
  const a = results.find((r) => r.kind === 'accord' && r.clients === s.clients)!;
  const b = results.find((r) => r.kind === 'reference' && r.clients === s.clients)!;
  console.log(
    `  ${s.clients} clients: p50 ×${f(a.p50 / b.p50, 2)}, p99 ×${f(a.p99 / b.p99, 2)}, CPU/update ×${f(a.cpuPerUpdateUs / b.cpuPerUpdateUs, 2)}, longest stall ×${f(a.maxStallMs / b.maxStallMs, 2)}`,
  );
}
const big = SCENARIOS.at(-1)!;
const a = results.find((r) => r.kind === 'accord' && r.clients === big.clients)!;
const b = results.find((r) => r.kind === 'reference' && r.clients === big.clients)!;
const goal = a.p99 <= b.p99 / 2 && !a.converged.includes('NO');
console.log(`\ngoal (${big.clients} clients: Accord p99 ≤ half the reference's, full convergence): ${goal ? 'met' : 'NOT met'} (${f(a.p99)} ms vs ${f(b.p99)} ms)`);
