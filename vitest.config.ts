import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts'],
    // Each file that needs a server starts its own on a fresh port; forks keep them apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest-report.json' }]],
  },
});
