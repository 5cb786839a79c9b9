import { authContracts } from './auth.ts';
import { consensusContracts, disputesContracts } from './consensus.ts';
import { calibrationContracts } from './calibration.ts';
import type { Contract } from './contract.ts';
import { exportsContracts } from './exports.ts';
import { feedbackContracts, gatesContracts, qualificationContracts } from './gates.ts';
import { importsContracts } from './imports.ts';
import { judgingContracts } from './judging.ts';
import { justificationsContracts } from './justifications.ts';
import { metaContracts } from './meta.ts';
import { projectsContracts } from './projects.ts';
import { qualityContracts } from './quality.ts';
import { rubricsContracts } from './rubrics.ts';
import { usersContracts } from './users.ts';
import { writingContracts } from './writing.ts';
import { redteamContracts } from './redteam.ts';

export * from './contract.ts';
export * from './quality.ts';
export * from './exports.ts';
export * from './consensus.ts';

/** Every route contract of the API, by domain. */
export const contracts = {
  meta: metaContracts,
  auth: authContracts,
  users: usersContracts,
  projects: projectsContracts,
  rubrics: rubricsContracts,
  imports: importsContracts,
  judging: judgingContracts,
  justifications: justificationsContracts,
  gates: gatesContracts,
  qualification: qualificationContracts,
  feedback: feedbackContracts,
  quality: qualityContracts,
  exports: exportsContracts,
  consensus: consensusContracts,
  disputes: disputesContracts,
  calibration: calibrationContracts,
  writing: writingContracts,
  redteam: redteamContracts,
} as const;

export type Contracts = typeof contracts;

/** The contracts as one list, in the order above. */
export const contractList: Contract[] = Object.values(contracts).flatMap((domain) => Object.values(domain) as Contract[]);
