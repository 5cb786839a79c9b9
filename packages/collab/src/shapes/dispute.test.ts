import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addDisputeComment,
  addProposalSpan,
  getRationaleText,
  isProposalEmpty,
  proposalDigest,
  readDispute,
  readDisputeProposal,
  removeProposalSpan,
  addProposalEntity,
  removeProposalEntity,
  setDisputeTag,
  setProposalPreference,
  setProposalScore,
  writeDisputeProposal,
} from './dispute.ts';

const sync = (a: Y.Doc, b: Y.Doc) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
};

describe('dispute document shape', () => {
  it('two reviewers editing different parts concurrently converge and keep both edits', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    setProposalPreference(a, { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    setProposalScore(a, 'helpful', 'r1', 4);
    setProposalScore(b, 'helpful', 'r2', 2);
    getRationaleText(a).insert(0, 'First is right. ');
    getRationaleText(b).insert(0, 'Second hallucinates.');
    addDisputeComment(b, { userId: 'u2', name: 'Bea', text: 'agree', at: '2026-01-01T00:00:00.000Z' });
    setDisputeTag(b, 'ambiguous-item');
    sync(a, b);
    expect(readDispute(a)).toEqual(readDispute(b));
    const room = readDispute(a);
    expect(room.proposal.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    expect(room.proposal.scores).toEqual([
      { dimension: 'helpful', responseId: 'r1', value: 4 },
      { dimension: 'helpful', responseId: 'r2', value: 2 },
    ]);
    expect(room.rationale).toContain('First is right.');
    expect(room.rationale).toContain('Second hallucinates.');
    expect(room.tag).toBe('ambiguous-item');
    expect(room.comments).toHaveLength(1);
  });

  it('reads ill-typed values as absent', () => {
    const d = new Y.Doc();
    d.getMap('dispute').set('preference', { kind: 'pairwise', a: 1 });
    d.getMap('dispute').set('tag', 'nonsense');
    d.getMap('dispute.scores').set('x|', 'high');
    d.getArray('dispute.spans').push([{ id: 's', responseId: 'r1', start: 'a' }, 42]);
    expect(readDispute(d).proposal).toEqual({ preference: null, scores: [], spans: [] });
    expect(readDispute(d).tag).toBeNull();
  });

  it("the digest changes with the proposal, not with the rationale, tag or comments", () => {
    const d = new Y.Doc();
    expect(isProposalEmpty(d)).toBe(true);
    writeDisputeProposal(d, { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 }, scores: [{ dimension: 'ok', value: 1 }], spans: [] }, 'majority');
    expect(isProposalEmpty(d)).toBe(false);
    const before = proposalDigest(readDisputeProposal(d));
    getRationaleText(d).insert(0, 'why');
    setDisputeTag(d, 'trainer-error');
    expect(proposalDigest(readDisputeProposal(d))).toBe(before);
    const id = addProposalSpan(d, { responseId: 'r2', start: 0, end: 3, category: 'factual', severity: 'major', note: '' });
    const withSpan = proposalDigest(readDisputeProposal(d));
    expect(withSpan).not.toBe(before);
    removeProposalSpan(d, id);
    expect(proposalDigest(readDisputeProposal(d))).toBe(before);
    setProposalScore(d, 'ok', undefined, 0);
    expect(proposalDigest(readDisputeProposal(d))).not.toBe(before);
  });
});

describe('seeding', () => {
  it("remembers the seed's digest, so a room tells a proposal still equal to the rule's result from an edited one", () => {
    const d = new Y.Doc();
    expect(readDispute(d)).toMatchObject({ seededFrom: null, seededDigest: null });
    writeDisputeProposal(d, { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 }, scores: [{ dimension: 'ok', value: 1 }], spans: [] }, 'majority');
    const seeded = readDispute(d);
    expect(seeded.seededFrom).toBe('majority');
    expect(seeded.seededDigest).toBe(proposalDigest(seeded.proposal));
    setProposalScore(d, 'ok', undefined, 0);
    const edited = readDispute(d);
    expect(edited.seededDigest).toBe(seeded.seededDigest);
    expect(proposalDigest(edited.proposal)).not.toBe(edited.seededDigest);
    // Starting from a judgment replaces the proposal, not the record of the seed.
    writeDisputeProposal(d, seeded.proposal);
    expect(proposalDigest(readDispute(d).proposal)).toBe(seeded.seededDigest);
  });

  it('two replicas seeding the same proposal concurrently read as one proposal (no duplicated spans)', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const seed = { preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value: 0 }, scores: [], spans: [{ responseId: 'r1', start: 0, end: 2, category: 'x', severity: 'minor' as const, note: '' }] };
    writeDisputeProposal(a, seed, 'majority');
    writeDisputeProposal(b, seed, 'majority');
    sync(a, b);
    expect(readDisputeProposal(a)).toEqual(readDisputeProposal(b));
    expect(readDisputeProposal(a).spans).toHaveLength(1);
  });
});

describe('entity spans (spans projects)', () => {
  const ent = (start: number, end: number, label: string) => ({ start, end, label });
  it('two adjudicators marking different entities at once keep both; the same entity twice reads once, in text order', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    writeDisputeProposal(a, { preference: { kind: 'spans', spans: [ent(0, 3, 'PER')] }, scores: [], spans: [] }, 'majority');
    sync(a, b);
    addProposalEntity(a, ent(10, 14, 'LOC'));
    addProposalEntity(b, ent(5, 8, 'ORG'));
    addProposalEntity(b, ent(10, 14, 'LOC'));
    sync(a, b);
    expect(readDisputeProposal(a)).toEqual(readDisputeProposal(b));
    expect(readDisputeProposal(a).preference).toEqual({ kind: 'spans', spans: [ent(0, 3, 'PER'), ent(5, 8, 'ORG'), ent(10, 14, 'LOC')] });
    removeProposalEntity(b, ent(10, 14, 'LOC'));
    sync(a, b);
    expect(readDisputeProposal(a).preference).toEqual({ kind: 'spans', spans: [ent(0, 3, 'PER'), ent(5, 8, 'ORG')] });
    // No spans is a proposal too (the text names no entity), and it differs from none.
    removeProposalEntity(a, ent(0, 3, 'PER'));
    removeProposalEntity(a, ent(5, 8, 'ORG'));
    expect(readDisputeProposal(a).preference).toEqual({ kind: 'spans', spans: [] });
    expect(isProposalEmpty(a)).toBe(false);
  });

  it('a room seeded with the spans inside its preference reads them, and the first edit moves them into the array', () => {
    const d = new Y.Doc();
    d.getMap('dispute').set('preference', { kind: 'spans', spans: [ent(0, 3, 'PER'), ent(5, 8, 'ORG')] });
    const before = proposalDigest(readDisputeProposal(d));
    expect(readDisputeProposal(d).preference).toEqual({ kind: 'spans', spans: [ent(0, 3, 'PER'), ent(5, 8, 'ORG')] });
    removeProposalEntity(d, ent(5, 8, 'ORG'));
    expect(readDisputeProposal(d).preference).toEqual({ kind: 'spans', spans: [ent(0, 3, 'PER')] });
    addProposalEntity(d, ent(5, 8, 'ORG'));
    expect(proposalDigest(readDisputeProposal(d))).toBe(before);
  });
});
