import { describe } from 'vitest';
import { CONTRACT_FIXTURES } from './fixtures.js';
import { defineContractSuite } from './suite.js';

/** Every test of the provider contract (suite.ts) against every provider fixture. */
describe.each(CONTRACT_FIXTURES)('provider contract: $name', defineContractSuite);
