import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs `tsc -p <dir>/tsconfig.json` as an app would (it imports `next-realtime`, which resolves
 * to the built dist/ through the package's exports). Returns the diagnostics (empty when the
 * fixture type-checks) and the fixture's own files tsc read, so a test can tell a clean run from
 * one that checked nothing.
 */
export async function typecheckFixture(dir: string): Promise<{ diagnostics: string; checkedFiles: string[] }> {
  if (!existsSync(path.join(repositoryRoot, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first');
  const tsc = path.join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const absolute = path.resolve(repositoryRoot, dir);
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', path.join(absolute, 'tsconfig.json'), '--listFiles'], {
      cwd: absolute,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { diagnostics: '', checkedFiles: ownFiles(stdout, absolute) };
  } catch (error) {
    const { stdout = '' } = error as { stdout?: string };
    const lines = stdout.split('\n');
    return { diagnostics: lines.filter((line) => !line.startsWith('/')).join('\n').trim(), checkedFiles: ownFiles(stdout, absolute) };
  }
}

function ownFiles(listing: string, dir: string): string[] {
  return listing
    .split('\n')
    .filter((line) => line.startsWith(dir + path.sep))
    .map((line) => path.relative(dir, line))
    .sort();
}
