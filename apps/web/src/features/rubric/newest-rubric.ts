/**
 * The project's newest published rubric, read for names (of levels, labels, span types, dimensions):
 * null when none is published yet.
 */
import { readRubric, type RubricView } from '@accord/core';
import { api } from '../../lib/api/index.ts';

export async function newestRubric(projectId: string): Promise<RubricView | null> {
  const versions = await api.rubrics.versions({ params: { projectId } });
  const newest = versions.items.reduce((m, v) => Math.max(m, v.version), 0);
  return newest ? readRubric(await api.rubrics.version({ params: { projectId, version: newest } })) : null;
}
