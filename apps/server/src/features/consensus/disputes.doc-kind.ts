/**
 * The adjudication room as a live document, `dispute:<disputeId>` (shape: collab's
 * shapes/dispute.ts). Leads and admins write; reviewers write when the project lets them adjudicate
 * (`consensus.reviewersAdjudicate`), else they read; trainers get the refusal of an unknown
 * document (they must not learn of disputes, nor which ids exist). Frozen once the dispute is no
 * longer open, read from the database, so a restart or another node loads it frozen. On load, an empty room of an open dispute is seeded with the rule's
 * result on the item (through the room, [P17]). Registered in deps.ts.
 */
import { readProjectSettings } from '@accord/core';
import type { DocKindDef } from '../../platform/realtime/doc-kinds.ts';
import type { ConsensusService } from './consensus.service.ts';

export function createDisputeDocKind(consensus: Pick<ConsensusService, 'state' | 'seedFor' | 'seedDoc'>): DocKindDef {
  return {
    prefix: 'dispute',
    projectOf: async (id) => (await consensus.state(id))?.projectId ?? null,
    access: ({ role }, ctx) => {
      // As for an unknown id: a refusal that differs would tell a trainer which dispute ids exist.
      if (role === 'trainer') return 'not_found';
      if (role === 'lead') return 'write';
      return ctx && readProjectSettings(ctx.project.settings).consensus.reviewersAdjudicate ? 'write' : 'read';
    },
    frozen: async ({ id, project }) => project.archivedAt !== null || (await consensus.state(id))?.status !== 'open',
    hooks: {
      async load(id, room) {
        if (room.frozen) return;
        const seed = await consensus.seedFor(id);
        if (!seed?.label) return;
        await room.transact((doc) => consensus.seedDoc(doc, seed.label, seed.rule)).catch(() => undefined);
      },
    },
  };
}
