import { readFile, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/**
 * Bundlers drop module-level directives ("use client" ... was ignored), but Next.js needs it at
 * the top of the file it imports to treat next-realtime/react as client components. Put it back
 * after the build, and shift the source map by the one line added.
 */
async function keepUseClient(file: string): Promise<void> {
  const code = await readFile(file, 'utf8');
  if (/^['"]use client['"]/.test(code)) return;
  await writeFile(file, `'use client';\n${code}`);
  const mapFile = `${file}.map`;
  const map = JSON.parse(await readFile(mapFile, 'utf8')) as { mappings: string };
  map.mappings = `;${map.mappings}`;
  await writeFile(mapFile, JSON.stringify(map));
}

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server/index': 'src/server/index.ts',
    'client/index': 'src/client/index.ts',
    'react/index': 'src/client/react/index.ts',
    'next/index': 'src/next/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Provider SDKs are optional peers: never bundle them, load them only when chosen.
  external: ['pusher', 'pusher-js', 'ably', 'react', 'react-dom', 'next', 'ioredis'],
  splitting: true,
  treeshake: true,
  async onSuccess() {
    await keepUseClient('dist/react/index.js');
  },
});
