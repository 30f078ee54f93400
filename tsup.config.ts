import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server/index': 'src/server/index.ts',
    'client/index': 'src/client/index.ts',
    'next/index': 'src/next/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Provider SDKs are optional peers: never bundle them, load them only when chosen.
  external: ['pusher', 'pusher-js', 'ably', 'react', 'next', 'ioredis'],
  splitting: true,
  treeshake: true,
});
