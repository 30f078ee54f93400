import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, typecheckFixture } from '../support/typecheckFixture.js';

/**
 * Docs that compile: the README's Quick start and the public-API examples of docs/*.md are the
 * code of small apps here (test/docs/<app>), type-checked against the built package as a fresh
 * Next.js app would; each code block that names a file of its app (`// path` on its first line)
 * must be that file, character for character.
 */
const read = (file: string) => readFileSync(path.join(repositoryRoot, file), 'utf8');

interface CodeBlock {
  path: string | undefined;
  code: string;
}

function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(?:ts|tsx)\n([\s\S]*?)\n```$/gm)].map((match) => {
    const code = match[1]!;
    const named = /^\/\/ (\S+\.tsx?)\b/.exec(code.split('\n')[0]!);
    return { path: named?.[1], code };
  });
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

function appFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(repositoryRoot, dir, prefix)).flatMap((name) => {
    const relative = path.posix.join(prefix, name);
    return statSync(path.join(repositoryRoot, dir, relative)).isDirectory() ? appFiles(dir, relative) : [relative];
  });
}

const fixtureCode = (dir: string, file: string) => read(path.join(dir, file)).replace(/\n$/, '');

describe('README Quick start', () => {
  const app = 'test/docs/quick-start';
  const blocks = codeBlocks(section(read('README.md'), 'Quick start'));

  it('shows every file of the Quick start app, each exactly as it type-checks', () => {
    const shown = blocks.map((block) => block.path);
    // typeChecks.ts holds the type assertions; tsconfig.json is the one a fresh Next.js app has.
    const files = appFiles(app).filter((file) => file.endsWith('.ts') || file.endsWith('.tsx')).filter((file) => !file.endsWith('typeChecks.ts'));
    expect(shown.sort()).toEqual(files.sort());
    for (const block of blocks) {
      expect(block.code, `README Quick start block ${block.path} differs from ${app}/${block.path}`).toBe(fixtureCode(app, block.path!));
    }
  });

  it('type-checks as an app using the built package (payloads typed from defineEvents)', { timeout: 240_000 }, async () => {
    const { diagnostics, checkedFiles } = await typecheckFixture(app);
    expect(checkedFiles).toContain('app/orders/[orderId]/typeChecks.ts');
    expect(checkedFiles).toContain('app/orders/[orderId]/OrderStatus.tsx');
    expect(diagnostics).toBe('');
  });
});

describe('docs/*.md public-API examples', () => {
  const app = 'test/docs/guides';
  // The docs whose examples are checked, and how many blocks each must have from the app.
  const checkedDocs = { 'docs/next.md': 3, 'docs/client.md': 2 };

  it('each example that names a file of the guides app is that file', () => {
    for (const [doc, expected] of Object.entries(checkedDocs)) {
      const named = codeBlocks(read(doc)).filter((block) => block.path && existsSync(path.join(repositoryRoot, app, block.path)));
      expect(named.length, `${doc}: blocks taken from ${app}`).toBe(expected);
      for (const block of named) {
        expect(block.code, `${doc} block ${block.path} differs from ${app}/${block.path}`).toBe(fixtureCode(app, block.path!));
      }
    }
  });

  it('the guides app shares the Quick start users and events, and type-checks', { timeout: 240_000 }, async () => {
    for (const file of ['lib/auth.ts', 'lib/events.ts']) {
      expect(read(path.join(app, file)), file).toBe(read(path.join('test/docs/quick-start', file)));
    }
    const { diagnostics, checkedFiles } = await typecheckFixture(app);
    expect(checkedFiles).toContain('app/orders/[orderId]/Room.tsx');
    expect(diagnostics).toBe('');
  });
});

describe('the package tarball', () => {
  it('carries LICENSE (MIT), the README and every file its links point to', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repositoryRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const packed = new Set(pack.files.map((file) => file.path));
    expect(packed).toContain('LICENSE');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    expect(JSON.parse(read('package.json')).license).toBe('MIT');
    expect(packed).toContain('README.md');
    expect(packed).toContain('dist/index.js');
    // No test fixtures or sources in the tarball.
    expect([...packed].filter((file) => file.startsWith('test/') || file.startsWith('src/'))).toEqual([]);

    const documents = ['README.md', ...[...packed].filter((file) => file.startsWith('docs/') && file.endsWith('.md'))];
    expect(documents.length).toBeGreaterThan(4);
    const broken: string[] = [];
    for (const doc of documents) {
      for (const [, target] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target!.split('#')[0]!));
        if (!packed.has(file)) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
