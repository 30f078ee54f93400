// @vitest-environment happy-dom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { StrictMode, useEffect, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { createRealtimeClient, type ClientOptions, type ClientTransport, type RealtimeClient } from '../../src/client/index.js';
import {
  RealtimeProvider,
  useChannel,
  useConnectionState,
  useEvent,
  usePresence,
  useSocketId,
} from '../../src/client/react/index.js';
import { createMemoryTransport, getMemoryHub } from '../../src/testing/index.js';
import { eventually } from '../support/events.js';

/**
 * The hooks in a DOM (happy-dom) against the memory provider, whose hub checks signatures.
 * A counting wrapper around the memory transport shows what reaches the "network".
 */
let hubCounter = 0;
const clients: RealtimeClient[] = [];
afterEach(() => {
  cleanup();
  for (const client of clients.splice(0)) client.disconnect();
});

function setup(user = 'ann') {
  const hubName = `react-${process.pid}-${++hubCounter}`;
  const hub = getMemoryHub(hubName);
  const transportCalls: string[] = [];
  const options: ClientOptions = {
    provider: 'memory',
    hub: hubName,
    systemEvents: false,
    getCredentials: async () => ({ token: `t-${user}`, expiresAt: Date.now() + 60_000 }),
    authorizeChannel: async ({ socketId, channel, token }) => {
      if (token !== `t-${user}`) throw new Error('no token');
      if (channel.includes('forbidden')) throw Object.assign(new Error('not yours'), { status: 403 });
      return hub.authorizeChannel(socketId, channel, channel.startsWith('presence-') ? { id: user, info: { name: user } } : undefined);
    },
    createTransport: (auth) => {
      const inner = createMemoryTransport({ hub: hubName, authorizeChannel: auth.authorizeChannel });
      return Object.assign(Object.create(inner) as ClientTransport, {
        subscribe(channel: string, callbacks: Parameters<ClientTransport['subscribe']>[1]) {
          transportCalls.push(`subscribe:${channel}`);
          inner.subscribe(channel, callbacks);
        },
        unsubscribe(channel: string) {
          transportCalls.push(`unsubscribe:${channel}`);
          inner.unsubscribe(channel);
        },
      });
    },
  };
  const client = createRealtimeClient(options);
  clients.push(client);
  const publish = (channel: string, event: string, data: unknown) =>
    act(async () => {
      hub.publish({ channels: [channel], event, data, json: JSON.stringify(data) });
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
  return { hub, hubName, client, options, transportCalls, publish };
}

function Listener({ id, channel, log }: { id: string; channel: string; log: string[] }) {
  useEvent<string>(channel, 'msg', (data) => log.push(`${id}:${data}`));
  return <span>{id}</span>;
}

describe('useEvent', () => {
  it('two components on one channel share one subscription; unmounting one leaves the other receiving', async () => {
    const { client, transportCalls, publish } = setup();
    const log: string[] = [];
    function Tree() {
      const [showA, setShowA] = useState(true);
      return (
        <>
          <button onClick={() => setShowA(false)}>hide A</button>
          {showA && <Listener id="A" channel="room.1" log={log} />}
          <Listener id="B" channel="room.1" log={log} />
        </>
      );
    }
    render(
      <RealtimeProvider client={client}>
        <Tree />
      </RealtimeProvider>,
    );
    await act(() => client.whenSubscribed('room.1'));
    await publish('room.1', 'msg', 'one');
    expect(log.sort()).toEqual(['A:one', 'B:one']);

    await act(async () => screen.getByText('hide A').click());
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    log.length = 0;
    await publish('room.1', 'msg', 'two');
    expect(log).toEqual(['B:two']);
    expect(transportCalls).toEqual(['subscribe:room.1']);
  });

  it('a new handler on every render neither resubscribes nor drops an event', async () => {
    const { client, transportCalls, hub } = setup();
    const received: string[] = [];
    let clientSubscribes = 0;
    const subscribe = client.subscribe;
    client.subscribe = (...args) => {
      clientSubscribes += 1;
      return subscribe(...args);
    };
    let rerender: (n: number) => void = () => {};
    function Counter() {
      const [generation, setGeneration] = useState(0);
      rerender = setGeneration;
      // A fresh closure each render, naming the render that made it.
      useEvent<number>('ticks.1', 'tick', (n) => received.push(`${generation}:${n}`));
      return <span>render {generation}</span>;
    }
    render(
      <RealtimeProvider client={client}>
        <Counter />
      </RealtimeProvider>,
    );
    await act(() => client.whenSubscribed('ticks.1'));
    for (let n = 1; n <= 30; n++) {
      await act(async () => rerender(n));
      // Published right after the re-render committed; delivered while the next one happens.
      hub.publish({ channels: ['ticks.1'], event: 'tick', data: n, json: String(n) });
    }
    await eventually(() => expect(received).toHaveLength(30));
    // Every event arrived once, in order, each at the handler of the latest render.
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => `${i + 1}:${i + 1}`));
    expect(clientSubscribes).toBe(1);
    expect(transportCalls).toEqual(['subscribe:ticks.1']);
  });

  it('under StrictMode: one subscription, each event delivered once, and the provider-owned client closes on unmount', async () => {
    const { options, transportCalls, hub, publish } = setup();
    const log: string[] = [];
    let observed: string | undefined;
    let effectRuns = 0;
    function State() {
      observed = useConnectionState();
      useEffect(() => {
        effectRuns += 1;
      }, []);
      return null;
    }
    const view = render(
      <StrictMode>
        <RealtimeProvider options={options}>
          <Listener id="S" channel="strict.1" log={log} />
          <State />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(observed).toBe('connected'));
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    await publish('strict.1', 'msg', 'once');
    expect(log).toEqual(['S:once']);
    // StrictMode did mount, unmount and mount again...
    expect(effectRuns).toBe(2);
    // ...and the transport saw one subscription and one connection.
    expect(transportCalls).toEqual(['subscribe:strict.1']);
    expect(hub.connectionCount).toBe(1);

    view.unmount();
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(hub.connectionCount).toBe(0);
  });

  it('a falsy channel subscribes to nothing until it is known', async () => {
    const { client, transportCalls } = setup();
    let setChannel: (channel: string | null) => void = () => {};
    function Maybe() {
      const [channel, set] = useState<string | null>(null);
      setChannel = set;
      useEvent(channel, 'msg', () => {});
      return null;
    }
    render(
      <RealtimeProvider client={client}>
        <Maybe />
      </RealtimeProvider>,
    );
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(client.state).toBe('idle');
    await act(async () => setChannel('late.1'));
    await act(() => client.whenSubscribed('late.1'));
    expect(transportCalls).toEqual(['subscribe:late.1']);
  });
});

describe('useChannel, usePresence, useConnectionState, useSocketId', () => {
  it('connection state and socket id follow the connection', async () => {
    const { client } = setup();
    const seen: string[] = [];
    function Status() {
      const state = useConnectionState();
      const socketId = useSocketId();
      if (seen.at(-1) !== state) seen.push(state);
      useEvent('s.1', 'e', () => {});
      return <span data-testid="socket">{socketId ?? 'none'}</span>;
    }
    render(
      <RealtimeProvider client={client}>
        <Status />
      </RealtimeProvider>,
    );
    await act(() => client.whenSubscribed('s.1'));
    expect(screen.getByTestId('socket').textContent).toBe(client.socketId);
    expect(seen).toEqual(['idle', 'connecting', 'connected']);
    await act(async () => client.disconnect());
    expect(screen.getByTestId('socket').textContent).toBe('none');
    expect(seen.at(-1)).toBe('disconnected');
  });

  it('useChannel reports status and errors, and whispers', async () => {
    const { client, hub, hubName } = setup('ann');
    const other = createRealtimeClient({
      provider: 'memory',
      hub: hubName,
      systemEvents: false,
      authorizeChannel: async ({ socketId, channel }) => hub.authorizeChannel(socketId, channel),
    });
    clients.push(other);
    const whispers: unknown[] = [];
    other.subscribe('private-chat.1', 'client-typing', (data) => whispers.push(data));
    await other.whenSubscribed('private-chat.1');
    let handle: ReturnType<typeof useChannel> | undefined;
    let refused: ReturnType<typeof useChannel> | undefined;
    const events: string[] = [];
    function Chat() {
      handle = useChannel('private-chat.1', (event, data) => events.push(`${event}:${JSON.stringify(data)}`));
      refused = useChannel('private-forbidden.1');
      return null;
    }
    render(
      <RealtimeProvider client={client}>
        <Chat />
      </RealtimeProvider>,
    );
    expect(handle?.status).toBe('pending');
    await waitFor(() => expect(handle?.status).toBe('subscribed'));
    await waitFor(() => expect(refused?.status).toBe('failed'));
    expect(refused?.error?.message).toMatch(/not yours/);
    await act(async () => {
      hub.publish({ channels: ['private-chat.1'], event: 'said', data: 'hi', json: '"hi"' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    expect(events).toEqual(['said:"hi"']);
    handle!.whisper('typing', { on: true });
    await eventually(() => expect(whispers).toEqual([{ on: true }]));
  });

  it('usePresence keeps the member list and calls onJoin / onLeave', async () => {
    const ann = setup('ann');
    const joined: string[] = [];
    const left: string[] = [];
    let members: string[] = [];
    function Room() {
      const presence = usePresence('presence-room.9', {
        onJoin: (member) => joined.push(member.id),
        onLeave: (member) => left.push(member.id),
      });
      members = presence.members.map((member) => member.id).sort();
      return null;
    }
    render(
      <RealtimeProvider client={ann.client}>
        <Room />
      </RealtimeProvider>,
    );
    await waitFor(() => expect(members).toEqual(['ann']));
    const bob = createRealtimeClient({
      provider: 'memory',
      hub: ann.hubName,
      systemEvents: false,
      authorizeChannel: async ({ socketId, channel }) => ann.hub.authorizeChannel(socketId, channel, { id: 'bob' }),
    });
    clients.push(bob);
    const leave = bob.onPresence('presence-room.9', () => {});
    await waitFor(() => expect(members).toEqual(['ann', 'bob']));
    expect(joined).toEqual(['bob']);
    await act(async () => {
      leave();
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    await waitFor(() => expect(members).toEqual(['ann']));
    expect(left).toEqual(['bob']);
  });
});
