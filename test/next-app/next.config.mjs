import { fileURLToPath } from 'node:url';

// The package under test is linked into node_modules/next-realtime (a symlink to the repository
// root, created by the test), so Turbopack's root must include the repository.
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
};
