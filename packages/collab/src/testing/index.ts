/**
 * Test helpers for packages that build on @accord/collab: the persistence contract suite (imports
 * vitest), the controllable in-memory network, a manual clock, a seeded PRNG, frame helpers and
 * hostile updates for integration tests of the server binding.
 */
export { persistenceContract, type PersistenceFixture } from './persistence-contract.ts';
export {
  createTestNetwork,
  type TestClient,
  type TestClientOptions,
  type TestNetwork,
  type TestNetworkOptions,
} from './test-network.ts';
export { createManualClock, type ManualClock } from './manual-clock.ts';
export { createRng, pick, randomInt, type Rng } from './rng.ts';
export { captureUpdate, contentOf, countFrames, framesOf, step2Frame, updateFrame } from './frames.ts';
export { craftDeleteRange, craftNestedValue, craftStruct, sampleUpdate, yjsLimitVectors } from './hostile-updates.ts';
