/** Each task kind's name on badges and cards, and in full (the overview, the New project dialog). */
import type { TaskKind } from '@accord/core';

export const TASK_KINDS: Record<TaskKind, { short: string; long: string; description: string }> = {
  pairwise: { short: 'Pairwise', long: 'Pairwise comparison', description: 'Trainers grade response A against B on a −3…+3 scale; ties allowed.' },
  ranking: { short: 'Ranking', long: 'Ranking', description: 'Trainers order 2…N responses from best to worst; ties allowed.' },
  rating: { short: 'Rating', long: 'Rating', description: 'Trainers rate the prompt or its one response on the rubric’s ordinal scale (e.g. 1–5, −2…+2).' },
  classification: { short: 'Classification', long: 'Classification', description: 'Trainers pick one or several labels of the rubric’s taxonomy.' },
  spans: { short: 'Entity spans', long: 'Entity spans (NER)', description: 'Trainers mark entity spans in the prompt or its one response, each typed by a label of the rubric’s taxonomy.' },
  writing: { short: 'Writing', long: 'SFT writing', description: 'Trainers write the ideal response, or rewrite the model’s; reviewers score it on the rubric and accept it or send it back.' },
  redteam: {
    short: 'Red teaming',
    long: 'Red teaming',
    description: 'Trainers write adversarial prompts for the goals you set, send them to the model under test (or paste its response) and label failure category, severity and success.',
  },
};
