import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The built next-realtime/react, as Next.js and a plain Node server see it (npm test builds dist/ first). */
describe('the built next-realtime/react entry', () => {
  it("starts with the 'use client' directive", async () => {
    const code = await readFile(new URL('../../dist/react/index.js', import.meta.url), 'utf8');
    expect(code.split('\n')[0]).toBe("'use client';");
  });

  it('imports by package name and renders to a string in plain Node without connecting', async () => {
    const script = `
      import { createElement as h } from 'react';
      import { renderToString } from 'react-dom/server';
      import { RealtimeProvider, useConnectionState, useEvent } from 'next-realtime/react';
      import { createRealtimeClient } from 'next-realtime/client';
      const client = createRealtimeClient({ provider: 'soketi', key: 'k', host: '127.0.0.1', port: 1 });
      function Page() {
        useEvent('news', 'headline', () => {});
        return h('p', null, useConnectionState());
      }
      const html = renderToString(h(RealtimeProvider, { client }, h(Page)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log(JSON.stringify({ html, state: client.state, hasWindow: typeof window !== 'undefined' }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ html: '<p>idle</p>', state: 'idle', hasWindow: false });
  });
});
