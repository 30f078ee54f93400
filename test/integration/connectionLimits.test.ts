import { describe } from 'vitest';
import { CONTROL_FAMILIES } from '../connection-control/families.js';
import { defineLimitsSuite } from '../connection-control/limits.js';

/** Per-user connection limits and logout (test/connection-control/limits.ts) on every provider family. */
describe.each(CONTROL_FAMILIES.map((makeFamily) => ({ name: makeFamily().name, makeFamily })))('connection control: $name', ({ makeFamily }) =>
  defineLimitsSuite(makeFamily),
);
