/**
 * A readable, structured diff between two rubrics (versions or the draft): dimensions are matched
 * by id, levels by value, span categories and flags by id, so a rename reads as a rename rather
 * than a removal and an addition.
 */
import type { RubricChange, RubricDraft, RubricScale } from './schemas/rubrics.ts';

export function describeScale(s: RubricScale): string {
  if (s.kind === 'binary') return 'Binary (yes / no)';
  if (s.kind === 'likert') return `Likert 1–${s.max}`;
  return `Categories: ${s.options.join(', ')}`;
}

export function diffRubrics(a: RubricDraft, b: RubricDraft): RubricChange[] {
  const out: RubricChange[] = [];
  const push = (kind: RubricChange['kind'], path: string, label: string, before: string | null, after: string | null) =>
    out.push({ kind, path, label, before, after });
  const field = (path: string, label: string, x: string, y: string) => {
    if (x !== y) push('changed', path, label, x, y);
  };

  const aDims = new Map(a.dimensions.map((d, i) => [d.id, { d, i }]));
  const bDims = new Map(b.dimensions.map((d, i) => [d.id, { d, i }]));
  const nameOf = (id: string) => bDims.get(id)?.d.name || aDims.get(id)?.d.name || id;
  for (const { d } of aDims.values()) if (!bDims.has(d.id)) push('removed', `dimensions.${d.id}`, `Dimension “${d.name || d.id}”`, d.name, null);
  // Moves: compare the relative order of the dimensions both sides have.
  const common = b.dimensions.filter((d) => aDims.has(d.id)).map((d) => d.id);
  const commonBefore = a.dimensions.filter((d) => bDims.has(d.id)).map((d) => d.id);
  for (const { d, i } of bDims.values()) {
    const base = `dimensions.${d.id}`;
    const label = `Dimension “${d.name || d.id}”`;
    const old = aDims.get(d.id)?.d;
    if (!old) {
      push('added', base, label, null, `${d.name} — ${describeScale(d.scale)}, weight ${d.weight}`);
      continue;
    }
    if (common.indexOf(d.id) !== commonBefore.indexOf(d.id)) push('moved', `${base}.position`, `${label} › position`, String(aDims.get(d.id)!.i + 1), String(i + 1));
    field(`${base}.name`, `${label} › name`, old.name, d.name);
    field(`${base}.description`, `${label} › description`, old.description, d.description);
    field(`${base}.scale`, `${label} › scale`, describeScale(old.scale), describeScale(d.scale));
    field(`${base}.weight`, `${label} › weight`, String(old.weight), String(d.weight));
    field(`${base}.target`, `${label} › scores`, old.target === 'comparison' ? 'the comparison' : 'each response', d.target === 'comparison' ? 'the comparison' : 'each response');
    const oldLevels = new Map(old.levels.map((l) => [l.value, l]));
    const newLevels = new Map(d.levels.map((l) => [l.value, l]));
    for (const l of old.levels) if (!newLevels.has(l.value)) push('removed', `${base}.levels.${l.value}`, `${label} › level ${l.value} (${l.label})`, l.anchor, null);
    for (const l of d.levels) {
      const lp = `${base}.levels.${l.value}`;
      const ll = `${label} › level ${l.value} (${l.label})`;
      const o = oldLevels.get(l.value);
      if (!o) {
        push('added', lp, ll, null, l.anchor);
        continue;
      }
      field(`${lp}.label`, `${ll} › label`, o.label, l.label);
      field(`${lp}.anchor`, `${ll} › anchor`, o.anchor, l.anchor);
      field(`${lp}.examples`, `${ll} › examples`, (o.examples ?? []).join('\n'), (l.examples ?? []).join('\n'));
    }
  }

  const rule = (r: { higher: string; lower: string }) => `${nameOf(r.higher)} outranks ${nameOf(r.lower)}`;
  const aRules = new Map(a.precedence.map((r) => [`${r.higher}>${r.lower}`, r]));
  const bRules = new Map(b.precedence.map((r) => [`${r.higher}>${r.lower}`, r]));
  for (const [k, r] of aRules) if (!bRules.has(k)) push('removed', `precedence.${k}`, 'Precedence rule', rule(r), null);
  for (const [k, r] of bRules) {
    const o = aRules.get(k);
    if (!o) push('added', `precedence.${k}`, 'Precedence rule', null, rule(r) + (r.note ? ` — ${r.note}` : ''));
    else field(`precedence.${k}.note`, `Precedence rule “${rule(r)}” › note`, o.note, r.note);
  }

  field('justification.minWords', 'Justification › minimum words', String(a.justification.minWords), String(b.justification.minWords));
  field('justification.maxWords', 'Justification › maximum words', String(a.justification.maxWords), String(b.justification.maxWords));

  for (const list of ['spanCategories', 'flags'] as const) {
    const what = list === 'flags' ? 'Flag' : 'Span category';
    const x = new Map(a[list].map((n) => [n.id, n]));
    const y = new Map(b[list].map((n) => [n.id, n]));
    for (const n of x.values()) if (!y.has(n.id)) push('removed', `${list}.${n.id}`, `${what} “${n.name}”`, n.name, null);
    for (const n of y.values()) {
      const o = x.get(n.id);
      if (!o) push('added', `${list}.${n.id}`, `${what} “${n.name}”`, null, n.description ? `${n.name} — ${n.description}` : n.name);
      else {
        field(`${list}.${n.id}.name`, `${what} “${o.name}” › name`, o.name, n.name);
        field(`${list}.${n.id}.description`, `${what} “${n.name}” › description`, o.description, n.description);
      }
    }
  }
  return out;
}
