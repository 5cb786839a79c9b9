import { describe, expect, it } from 'vitest';
import { findMentions, justificationStance } from './stance.ts';

// Reasons written by PandaLM-7B and GPT-3.5 on the PandaLM test set (WeOpenML/PandaLM, commit 3871806,
// data/pandalm-7b-testset-v1.json and data/gpt-3.5-turbo-testset-v1.json, Apache-2.0; see
// /work/shared/data/pandalm-testset/PROVENANCE.md), with the response each one argues for
// (0 = "Response 1", 1 = "Response 2"; the label the judge gave beside it, when it disagrees, in the comment).
const PANDALM: [string, 0 | 1 | null][] = [
  ['Response 2 is better because it is more concise and still conveys the same meaning as the original sentence.', 1],
  ['Response 1 is a valid template for a First-Person LinkedIn profile summary.', 0],
  ['Response 2 is better because it provides a diverse list of books, while Response 1 repeats the same book multiple times.', 1],
  ['Response 2 provides a complete recipe with clear instructions and measurements, while Response 1 only lists the ingredients without any instructions on how to use them.', 1],
  ['Response 1 provides a comprehensive set of questions that assess the knowledge of the R programming language, while Response 2 only asks for a self-rating of programming skills.', 0],
  ['Response 1 provides a detailed and specific road trip plan with recommended stops and activities, while Response 2 only repeats the input without providing any additional information.', 0],
  ['Response 1 is better because it addresses both questions about the rate and changes in project scope.', 0],
  ['Response 1 is not correct because it repeated the same book multiple times. Response 2 is better because it provides a variety of popular works.', 1], // labelled 1
  ['Response 1 is not relevant to the given genre, while Response 2 provides a list of books that are relevant to the genre.', 1], // labelled 1
  ['Response 2 is incomplete and does not provide the solution to the Sudoku puzzle.', 0], // labelled 2
  ['Response 2 did not provide an email signature template as instructed.', 0], // labelled 2
  ['Both responses are correct and equivalent.', null],
  ['Both responses do not provide a valid medium-level sudoku puzzle.', null],
];

// Written as trainers write: letters, positions and sides as on their screen, negations, comparisons.
const TRAINERS: [string, number, number | null][] = [
  ['A is better than B: it cites the correct year and explains Rayleigh scattering.', 2, 0],
  ['B is worse than A because it invents a citation.', 2, 0],
  ['A is worse. It hallucinates the date and ignores the question.', 2, 1],
  ['I prefer B over A, since it answers what was asked.', 2, 1],
  ['Response A is not as good as Response B; its code does not compile.', 2, 1],
  ['The first response is accurate, but the second one contains a factual error about the boiling point.', 2, 0],
  ['The second response is clearly more helpful; the first misreads the question.', 2, 1],
  ['The left one rambles and is repetitive, whereas the right one is concise and correct.', 2, 1],
  ['The former is verbose; the latter is clear and complete.', 2, 1],
  ['Unlike Response B, Response A gives working code with comments.', 2, 0],
  ['Response 2 has fewer errors and is less verbose than response 1.', 2, 1],
  ['A good answer should mention the boiling point. B does, while A does not.', 2, 1],
  ['Response C is the most accurate; A and B both miss the second part of the question.', 3, 2],
  ['Output (2) is more detailed than Output (1).', 2, 1],
  ['Response B is better, because A ignores the question and gives the user nothing of use.', 2, 1],
  ['I think B is better than A since it cites its sources.', 2, 1],
  ['A and B both miss the point, but C nails it.', 3, 2],
  ['Both answers are equally good.', 2, null],
  ['A nice summary of the article with a clear structure.', 2, null],
  ['The response explains the idea well and uses a clear example.', 2, null],
];

describe('justificationStance', () => {
  it.each(PANDALM)('PandaLM reason %#: %s', (text, want) => {
    expect(justificationStance(text, 2).position).toBe(want);
  });
  it.each(TRAINERS)('%s (%i responses)', (text, n, want) => {
    expect(justificationStance(text, n).position).toBe(want);
  });
});

describe('findMentions', () => {
  it('reads letters, numbers, positions and sides as display positions', () => {
    const at = (t: string, n = 2) => findMentions(t, n).map((m) => m.position);
    expect(at('Response A and response B')).toEqual([0, 1]);
    expect(at('Assistant 2 beats Assistant 1')).toEqual([1, 0]);
    expect(at('the first one, the second response')).toEqual([0, 1]);
    expect(at('on the left, the right-hand response')).toEqual([0, 1]);
    expect(at('Response C', 2)).toEqual([]); // no third response on this screen
    expect(at('Response C', 3)).toEqual([2]);
  });
  it('does not take articles, words or steps for responses', () => {
    const at = (t: string) => findMentions(t, 2).map((m) => m.position);
    expect(at('A clear answer. I think it is fine.')).toEqual([]);
    expect(at('You should answer a question with a reference.')).toEqual([]);
    expect(at('The first step is to boil water; the second paragraph is long.')).toEqual([]);
    expect(at('That is the right answer.')).toEqual([]);
  });
});
