import { describe, expect, it } from 'vitest';
import { typecheckFixture } from '../support/typecheckFixture.js';

describe('typed events through the built package', () => {
  it('an app that registers its events gets payload types and name checks in every client signature', { timeout: 240_000 }, async () => {
    // typedHooks.tsx holds the expectations: an expectTypeOf mismatch, or an expected error
    // that does not happen (a misspelt name that compiles), is a diagnostic here.
    const { diagnostics, checkedFiles } = await typecheckFixture('test/types/registered');
    expect(checkedFiles).toEqual(['events.ts', 'typedHooks.tsx']);
    expect(diagnostics).toBe('');
  });
});
