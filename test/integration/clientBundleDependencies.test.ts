import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(import.meta.dirname, '../../dist');

/** Every package a built entry can reach through its static and dynamic imports. */
function reachablePackages(entry: string): Set<string> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) walk(path.resolve(path.dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  walk(path.join(dist, entry));
  return packages;
}

/**
 * What ships to browsers: the client and React entries may reach the providers' browser SDKs and
 * React, nothing written for servers (jose, zod, ioredis, the pusher HTTP SDK, Node built-ins).
 */
describe('browser entry points reach no server-only package', () => {
  it.each(['client/index.js', 'react/index.js'])('%s', (entry) => {
    const packages = [...reachablePackages(entry)].sort();
    expect(packages.filter((name) => !['pusher-js', 'ably', 'react', 'react/jsx-runtime'].includes(name))).toEqual([]);
  });
});
