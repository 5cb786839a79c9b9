/**
 * @accord/metrics — agreement and aggregation statistics for Accord. Pure functions, no runtime
 * dependencies; every undefined statistic (0/0) is null. See README.md for the API and invariants.
 */
export {
  MetricsError,
  encodeRatings,
  compareLabels,
  type Label,
  type Ratings,
  type EncodedRatings,
  type CategoriesOption,
} from './labels.ts';
export { percentAgreement, type PercentAgreement, type PercentAgreementOptions } from './percent-agreement.ts';
export { cohenKappa, lightKappa, type CohenOptions, type KappaWeights } from './cohen.ts';
export { fleissKappa, type FleissKappa, type FleissCategory } from './fleiss.ts';
export { krippendorffAlpha, krippendorffAlphaFromCoincidences, type AlphaLevel, type AlphaOptions } from './krippendorff.ts';
export { kendallW, kendallTauB, spearmanRho, averageRanks, type KendallW } from './rank.ts';
export { icc, type Icc } from './icc.ts';
export { majorityVote, type MajorityVote } from './majority.ts';
export {
  bradleyTerry,
  bradleyTerryBootstrap,
  pairwiseCounts,
  type BradleyTerry,
  type BradleyTerryInput,
  type BradleyTerryOptions,
  type BradleyTerryBootstrap,
  type BootstrapOptions,
  type Interval,
  type Comparison,
  type Outcome,
} from './bradley-terry.ts';
export { dawidSkene, type DawidSkene, type DawidSkeneOptions, type Response } from './dawid-skene.ts';
export {
  preferenceAgreement,
  positionBias,
  binomialTestHalf,
  type PreferenceAgreement,
  type PreferenceAgreementOptions,
  type PositionBias,
  type PositionJudgment,
} from './preference.ts';
export { rankingAgreement, type Ranking, type RankingAgreement } from './ranking.ts';
export { spanAgreement, pairwiseSpanF1, type Span, type SpanAgreement, type SpanScores, type AnnotatedSpans, type PairwiseSpanAgreement, type PairwiseSpanScores } from './spans.ts';
export {
  masiDistance,
  jaccardDistance,
  setAlpha,
  setKey,
  labelAlphas,
  addUnitCoincidences,
  type LabelSet,
  type SetRatings,
  type SetAlphaOptions,
  type LabelAlpha,
} from './sets.ts';
export { createRandom, type Random } from './random.ts';
