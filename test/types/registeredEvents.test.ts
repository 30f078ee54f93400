import { describe, expect, it } from 'vitest';
import { typecheckFixture } from '../support/typecheckFixture.js';

describe('typed events through the built package', () => {
  it('an app that registers its events gets payload types and name checks in every client signature', { timeout: 120_000 }, async () => {
    // typedHooks.tsx holds the expectations: expectTypeOf mismatches and unused
    // @ts-expect-error lines (a misspelt name that compiles) are diagnostics here.
    const { diagnostics, checkedFiles } = await typecheckFixture('test/types/registered');
    expect(checkedFiles).toEqual(['events.ts', 'typedHooks.tsx']);
    expect(diagnostics).toBe('');
  });
});
