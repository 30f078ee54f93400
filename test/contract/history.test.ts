import { describe } from 'vitest';
import { CONTRACT_FIXTURES } from './fixtures.js';
import { defineHistorySuite } from './historySuite.js';

/** The history and recovery contract (historySuite.ts) against every provider fixture. */
describe.each(CONTRACT_FIXTURES)('history contract: $name', defineHistorySuite);
