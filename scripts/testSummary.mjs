// Prints vitest's JSON report as one plain line: `tests: N passed, N failed, N skipped`.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-output/vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('tests: 0 passed, 1 failed (no vitest report was written)');
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
