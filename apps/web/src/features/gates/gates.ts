/** Words for a member's gates: an attempt's outcome, what the project requires, what qualifying grants. */
import type { QualificationAttempt, Standing } from '@accord/core';

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function attemptOutcome(a: QualificationAttempt): { title: string; detail: string; icon: 'check' | 'x' | 'info'; tone: string } {
  const score = a.score === null ? '' : `Your agreement with the expected answers: ${pct(a.score)} (pass: ${pct(a.passThreshold)}).`;
  switch (a.status) {
    case 'passed':
      return { title: 'You passed the qualification', detail: score, icon: 'check', tone: 'text-emerald-600' };
    case 'failed':
      return {
        title: 'You did not pass this time',
        detail: a.reviewShare !== null ? `${score} A reviewer found ${pct(a.reviewShare)} of the checklist met in your justifications.` : score,
        icon: 'x',
        tone: 'text-red-600',
      };
    case 'awaiting_review':
      return { title: 'Answers sent for review', detail: `${score} A reviewer now grades your justifications; you will see the result here.`, icon: 'info', tone: 'text-brand-600' };
    default:
      return { title: 'Qualification in progress', detail: `${a.answered} of ${a.total} answered.`, icon: 'info', tone: 'text-slate-500' };
  }
}

/** What the project asks of a member to receive work, in words ("tier 2 or higher, one of medical"). */
export function requirementText(s: Standing): string {
  const parts: string[] = [];
  if (s.requires.minTier > 1) parts.push(`tier ${s.requires.minTier} or higher`);
  if (s.requires.tags.length) parts.push(`one of the domains ${s.requires.tags.join(', ')}`);
  if (s.requires.qualification) parts.push('a passed qualification');
  return parts.length ? `Work here needs ${parts.join(', ')}.` : 'Every trainer of the project receives work here.';
}

/** What passing the qualification would grant the member beyond what they have (empty: nothing new). */
export function grantText(s: Standing): string {
  const g = s.qualification?.grants;
  if (!g) return '';
  const parts: string[] = [];
  if (g.tier !== null && g.tier > s.tier) parts.push(`tier ${g.tier}`);
  const tags = g.tags.filter((t) => !s.tags.includes(t));
  if (tags.length) parts.push(`the domain${tags.length > 1 ? 's' : ''} ${tags.join(', ')}`);
  return parts.join(' and ');
}
