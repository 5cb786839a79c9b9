/**
 * Test helpers for packages that build on @accord/collab: the persistence contract suite (imports
 * vitest), the controllable in-memory network, a manual clock and a seeded PRNG.
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
