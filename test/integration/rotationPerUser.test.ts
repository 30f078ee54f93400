import { describe } from 'vitest';
import { CONTROL_FAMILIES } from '../connection-control/families.js';
import { definePerUserRotationSuite } from '../connection-control/rotation.js';

/**
 * A rotation's per-user closing (test/connection-control/rotation.ts), on the families that can
 * only close all of a user's connections at once (the Pusher protocol); Ably closes connection
 * by connection, which the rotation scale test covers (collateral 0).
 */
const wholeUserFamilies = CONTROL_FAMILIES.map((makeFamily) => ({ name: makeFamily().name, makeFamily })).filter(({ makeFamily }) => makeFamily().closesWholeUsers);
describe.each(wholeUserFamilies)('secret rotation per user: $name', ({ makeFamily }) => definePerUserRotationSuite(makeFamily));
