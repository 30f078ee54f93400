import { describe } from 'vitest';
import { CONTROL_FAMILIES } from '../connection-control/families.js';
import { defineRotationSuite } from '../connection-control/rotation.js';

/** A secret rotation with live connections (test/connection-control/rotation.ts) on every provider family. */
describe.each(CONTROL_FAMILIES.map((makeFamily) => ({ name: makeFamily().name, makeFamily })))('secret rotation: $name', ({ makeFamily }) =>
  defineRotationSuite(makeFamily),
);
