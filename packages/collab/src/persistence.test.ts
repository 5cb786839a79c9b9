import { createMemoryPersistence } from './persistence.ts';
import { persistenceContract } from './testing/persistence-contract.ts';

persistenceContract('memory', () => ({ persistence: createMemoryPersistence() }));
