/**
 * Regenerates the compact fixtures in src/fixtures/ from the shared reference data (not run by the
 * tests, which must stay self-contained). Usage, from packages/metrics:
 *   node --import tsx test/derive-fixtures.ts [path/to/shared/data]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const data = process.argv[2] ?? join(import.meta.dirname, '../../../../shared/data');
const out = join(import.meta.dirname, '../src/fixtures');
const read = (path: string): string => readFileSync(join(data, path), 'utf8');
const write = (name: string, value: unknown): void => writeFileSync(join(out, name), `${JSON.stringify(value)}\n`);
const csv = (path: string): Record<string, string>[] => {
  const [head, ...rows] = read(path).trim().split('\n');
  const names = head!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i]!, v])));
};

// PandaLM: the 999 × 3 label matrix and each item's model pair.
{
  const items = JSON.parse(read('pandalm-testset/testset-v1.json')) as {
    cmp_key: string;
    annotator1: number;
    annotator2: number;
    annotator3: number;
  }[];
  const keys = [...new Set(items.map((x) => x.cmp_key))].sort();
  write('pandalm.json', {
    provenance:
      'Derived from WeOpenML/PandaLM data/testset-v1.json (commit 3871806e), Apache-2.0: annotator1..3 labels (1 = response1 better, 2 = response2 better, 0 = tie) and cmp_key per item, in file order.',
    cmpKeys: keys,
    items: items.map((x) => [keys.indexOf(x.cmp_key), x.annotator1, x.annotator2, x.annotator3]),
  });
}

// LLMFAO: votes as [pair, worker, outcome], pairs as [model_x, model_y], published scores.
{
  const names = new Map<string, string>(
    read('llmfao/models.jsonl')
      .trim()
      .split('\n')
      .map((line) => {
        const m = JSON.parse(line) as { id: number; name: string };
        return [String(m.id), m.name];
      }),
  );
  const crowd = csv('llmfao/crowd-comparisons.csv');
  const used = [...new Set(crowd.flatMap((r) => [r.model_x!, r.model_y!]))].sort((a, b) => Number(a) - Number(b));
  const model = (id: string): number => used.indexOf(id);
  const pairs = new Map<string, [number, number]>();
  for (const r of crowd) pairs.set(r.id!, [model(r.model_x!), model(r.model_y!)]);
  const pairIds = [...pairs.keys()].sort((a, b) => Number(a) - Number(b));
  const outcome = (w: string): number => ['left', 'right', 'tie'].indexOf(w);
  const judge = (path: string): number[] => {
    const byPair = new Map(csv(path).map((r) => [r.id!, outcome(r.winner!)]));
    return pairIds.map((id) => byPair.get(id)!);
  };
  const published: Record<string, Record<string, number>> = {};
  let table = '';
  for (const line of read('llmfao/published-leaderboard-scores.txt').split('\n')) {
    const head = /aggregate\("([^"]+)"\)/.exec(line);
    if (head) {
      table = head[1]!.replace('-comparisons.csv', '');
      published[table] = {};
      continue;
    }
    const row = /^(.*?)\s+(0\.\d+)\s+\d+\s+\d+$/.exec(line);
    if (row && table) published[table]![row[1]!.trim()] = Number(row[2]);
  }
  write('llmfao.json', {
    provenance:
      'Derived from dustalov/llmfao (commit 9e224e94), CC BY 4.0 (c) Dmitry Ustalov and llmonitor.com: crowd-comparisons.csv, gpt4-/gpt3-crowd-comparisons.csv, models.jsonl and the leaderboard.ipynb score tables (published-leaderboard-scores.txt). outcome 0 = left (model_x) won, 1 = right (model_y), 2 = tie.',
    models: used.map((id) => names.get(id)!),
    pairs: pairIds.map((id) => pairs.get(id)!),
    // Flat triples pair, worker, outcome (one vote per triple) to keep the file small.
    crowd: crowd.flatMap((r) => [pairIds.indexOf(r.id!), Number(r.worker), outcome(r.winner!)]),
    gpt4: judge('llmfao/gpt4-crowd-comparisons.csv'),
    gpt3: judge('llmfao/gpt3-crowd-comparisons.csv'),
    published,
  });
}

// Dawid & Skene (1979): the 315 responses and the reference EM output.
{
  const reference = JSON.parse(read('dawid-skene-1979-anesthesia/reference-ds-em-output.json')) as {
    class_prevalence: number[];
    map_class_by_item: Record<string, number>;
    posterior: Record<string, number[]>;
  };
  write('anesthesia.json', {
    provenance:
      'Dawid & Skene (1979) anaesthesia data from the R package "rater" (jeffreypullin/rater commit bc1e414e, data/anesthesia.rda, GPL-2; data only). reference = plain-EM output computed in shared/data (not a published figure), see its PROVENANCE.md.',
    responses: csv('dawid-skene-1979-anesthesia/anesthesia.csv').map((r) => [Number(r.item), Number(r.rater), Number(r.rating)]),
    reference: {
      classPrevalence: reference.class_prevalence,
      mapClass: Object.keys(reference.map_class_by_item)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => reference.map_class_by_item[k]),
      posterior: Object.keys(reference.posterior)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => reference.posterior[k]),
    },
  });
}

// Snow et al. (2008) RTE and temporal ordering: one line per item, "id gold worker:label …".
for (const task of ['rte', 'temp']) {
  const rows = read(`snow2008-mturk/all_collected_data/${task}.standardized.tsv`)
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));
  const workers = [...new Set(rows.map((r) => r[1]!))].sort();
  const byItem = new Map<string, { gold: string; labels: string[] }>();
  for (const [, worker, item, response, gold] of rows) {
    const entry = byItem.get(item!) ?? { gold: gold!, labels: [] };
    entry.labels.push(`${workers.indexOf(worker!)}:${response}`);
    byItem.set(item!, entry);
  }
  write(`snow-${task}.json`, {
    provenance: `Snow, O'Connor, Jurafsky & Ng (2008) AMT annotations, ${task}.standardized.tsv via edwinrobots/bayesian_combination_tutorial2 (commit f98448e2; repository MIT, data released for research without an explicit license). Worker ids replaced by indices into the sorted AMT worker ids.`,
    items: [...byItem].map(([item, { gold, labels }]) => `${item} ${gold} ${labels.join(' ')}`),
  });
}
