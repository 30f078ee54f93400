// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealtimeProvider, useChannel, useConnectionState, useEvent } from '../../src/client/react/index.js';

/**
 * A missing NEXT_PUBLIC_SOKETI_APP_KEY must not break the page: RealtimeProvider and the hooks
 * render on the server and in the browser, the connection state says `failed`, and the console
 * says what to set, once.
 */
afterEach(() => {
  cleanup();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function Status() {
  const state = useConnectionState();
  const channel = useChannel('news');
  useEvent('news', 'headline', () => {});
  return (
    <p data-testid="status">
      {state}|{channel.status}
    </p>
  );
}

describe('RealtimeProvider with a misconfigured client', () => {
  it('renders on the server and in the browser; the state is failed; one console message names the variable', async () => {
    vi.stubEnv('NEXT_PUBLIC_REALTIME_PROVIDER', 'soketi');
    vi.stubEnv('NEXT_PUBLIC_SOKETI_APP_KEY', '');
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const page = (
      <RealtimeProvider>
        <Status />
      </RealtimeProvider>
    );
    expect(renderToString(page).replaceAll('<!-- -->', '')).toContain('idle|pending');
    render(page);
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('failed|pending'));
    const messages = printed.mock.calls.map((call) => String(call[0]));
    expect(messages.filter((message) => message.includes('NEXT_PUBLIC_SOKETI_APP_KEY'))).toHaveLength(1);
    expect(messages.every((message) => !/TypeError/.test(message))).toBe(true);
  });
});
