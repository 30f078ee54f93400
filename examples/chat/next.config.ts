import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

// The app lives inside the library's repository and uses it through a workspace link
// (node_modules/next-realtime -> the repository root), so the bundler's root is the repository.
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const config: NextConfig = {
  // The browser tests build into their own folder so they never clobber `npm run demo`'s build.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
  // Server SDKs with Node internals: loaded from node_modules at run time, not bundled. ioredis is
  // only loaded when REDIS_URL is set (several app instances sharing connection limits).
  serverExternalPackages: ['pusher', 'ably', 'ioredis'],
  poweredByHeader: false,
};

export default config;
