import { channelKind } from '../../core/channels.js';
import { timingSafeEqual } from '../../core/crypto.js';
import { RealtimeError } from '../../core/errors.js';
import type { ChannelAuthorization, IncomingEvent, OutgoingEvent, PresenceMember, UserAuthentication } from '../../core/provider.js';
import { authenticateUser, authorizeChannel } from '../pusher/channelAuthorization.js';

/**
 * An in-process stand-in for a Pusher-protocol server: sockets, channels, presence, user
 * sign-in, sender exclusion, and signatures checked the way Soketi checks them. The memory
 * provider's server and client halves meet here, so tests exercise the app's real auth policy.
 */
export interface MemorySocket {
  readonly id: string;
  userId: string | undefined;
  deliver(event: IncomingEvent): void;
  memberAdded(channel: string, member: PresenceMember): void;
  memberRemoved(channel: string, member: PresenceMember): void;
  /** The hub closed this socket (terminate, hub reset). */
  terminated(reason: string): void;
  /**
   * The connection was lost the way a server restart or network failure loses it (Soketi closes
   * with 4200): the client should reconnect. Sockets without it are told `terminated`.
   */
  dropped?(reason: string): void;
}

interface ChannelState {
  sockets: Set<string>;
  /** presence: socket id -> member */
  members: Map<string, PresenceMember>;
}

export class MemoryHub {
  readonly key = 'memory-app-key';
  readonly secret: string;
  private readonly sockets = new Map<string, MemorySocket>();
  private readonly channels = new Map<string, ChannelState>();
  private nextSocket = 1;
  private available = true;
  /** Every event published through the hub, for assertions in users' tests. */
  readonly published: OutgoingEvent[] = [];

  constructor(secret: string = crypto.randomUUID()) {
    this.secret = secret;
  }

  private get credentials() {
    return { key: this.key, secret: this.secret };
  }

  connect(create: (id: string) => MemorySocket): MemorySocket {
    if (!this.available) throw new RealtimeError('provider_unavailable', 'the memory hub is unavailable', { provider: 'memory', retryable: true });
    const id = `${1000 + this.nextSocket++}.${Math.floor(Math.random() * 1e9)}`;
    const socket = create(id);
    this.sockets.set(id, socket);
    return socket;
  }

  disconnect(socketId: string): void {
    for (const channel of [...this.channels.keys()]) this.leave(socketId, channel);
    this.sockets.delete(socketId);
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Server side: what the memory provider's `authorizeChannel` returns. */
  authorizeChannel(socketId: string, channel: string, member?: PresenceMember): Promise<ChannelAuthorization> {
    return authorizeChannel(this.credentials, socketId, channel, member);
  }

  authenticateUser(socketId: string, user: PresenceMember): Promise<UserAuthentication> {
    return authenticateUser(this.credentials, socketId, user);
  }

  /** Client side: subscribe, checking the signature for private and presence channels. */
  async join(socketId: string, channel: string, authorization?: ChannelAuthorization): Promise<void> {
    const socket = this.sockets.get(socketId);
    if (!socket) throw new RealtimeError('closed', 'the connection is closed', { provider: 'memory' });
    const kind = channelKind(channel);
    let member: PresenceMember | undefined;
    if (kind !== 'public') {
      if (!authorization) throw new RealtimeError('forbidden', `${channel} needs authorization`, { provider: 'memory' });
      const parsed = authorization.channel_data ? (JSON.parse(authorization.channel_data) as { user_id: string; user_info?: Record<string, unknown> }) : undefined;
      member = parsed ? { id: String(parsed.user_id), info: parsed.user_info ?? {} } : undefined;
      const expected = await this.authorizeChannel(socketId, channel, member);
      if (!timingSafeEqual(expected.auth, authorization.auth)) {
        throw new RealtimeError('forbidden', `invalid signature for ${channel}`, { provider: 'memory' });
      }
    }
    const state = this.channelState(channel);
    state.sockets.add(socketId);
    if (kind === 'presence' && member) {
      const alreadyPresent = [...state.members.values()].some((existing) => existing.id === member.id);
      state.members.set(socketId, member);
      if (!alreadyPresent) this.broadcastMember(channel, socketId, member, 'added');
    }
  }

  leave(socketId: string, channel: string): void {
    const state = this.channels.get(channel);
    if (!state?.sockets.delete(socketId)) return;
    const member = state.members.get(socketId);
    state.members.delete(socketId);
    if (member && ![...state.members.values()].some((other) => other.id === member.id)) {
      this.broadcastMember(channel, socketId, member, 'removed');
    }
    if (state.sockets.size === 0) this.channels.delete(channel);
  }

  async signIn(socketId: string, authentication: UserAuthentication): Promise<void> {
    const user = JSON.parse(authentication.user_data) as { id: string; user_info?: Record<string, unknown> };
    const expected = await this.authenticateUser(socketId, { id: user.id, ...(user.user_info ? { info: user.user_info } : {}) });
    if (!timingSafeEqual(expected.auth, authentication.auth)) {
      throw new RealtimeError('unauthorized', 'invalid user authentication signature', { provider: 'memory' });
    }
    const socket = this.sockets.get(socketId);
    if (socket) socket.userId = user.id;
  }

  members(channel: string): PresenceMember[] {
    const unique = new Map<string, PresenceMember>();
    for (const member of this.channels.get(channel)?.members.values() ?? []) unique.set(member.id, member);
    return [...unique.values()];
  }

  /** Server publish: delivered asynchronously, like a network would, never to `socketId`. */
  publish(event: OutgoingEvent): void {
    this.published.push(event);
    const data = JSON.parse(event.json) as unknown;
    for (const channel of event.channels) {
      for (const id of this.channels.get(channel)?.sockets ?? []) {
        if (id === event.socketId) continue;
        const socket = this.sockets.get(id);
        queueMicrotask(() => socket?.deliver({ channel, event: event.event, data: structuredClone(data) }));
      }
    }
  }

  /** Client event from `fromSocket`: subscribers of the channel other than the sender. */
  whisper(fromSocket: string, channel: string, event: string, data: unknown): void {
    const state = this.channels.get(channel);
    if (!state?.sockets.has(fromSocket)) {
      throw new RealtimeError('forbidden', `not subscribed to ${channel}`, { provider: 'memory' });
    }
    const userId = state.members.get(fromSocket)?.id;
    for (const id of state.sockets) {
      if (id === fromSocket) continue;
      const socket = this.sockets.get(id);
      queueMicrotask(() => socket?.deliver({ channel, event, data: structuredClone(data), userId }));
    }
  }

  terminateUser(userId: string, reason = 'terminated by the server'): void {
    for (const socket of [...this.sockets.values()]) {
      if (socket.userId === userId) {
        this.disconnect(socket.id);
        socket.terminated(reason);
      }
    }
  }

  /** False while the simulated server is down (see setAvailable). */
  get isAvailable(): boolean {
    return this.available;
  }

  /**
   * Simulates the server going away and coming back: `false` drops every connection as a
   * restart does (clients reconnect on their own) and refuses new ones until `true`.
   */
  setAvailable(available: boolean): void {
    this.available = available;
    if (available) return;
    for (const socket of [...this.sockets.values()]) {
      this.disconnect(socket.id);
      if (socket.dropped) socket.dropped('the server went away');
      else socket.terminated('the server went away');
    }
  }

  /** Drops every socket and channel (between tests). */
  reset(): void {
    for (const socket of [...this.sockets.values()]) {
      this.disconnect(socket.id);
      socket.terminated('hub reset');
    }
    this.published.length = 0;
  }

  private channelState(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { sockets: new Set(), members: new Map() };
      this.channels.set(channel, state);
    }
    return state;
  }

  private broadcastMember(channel: string, fromSocket: string, member: PresenceMember, change: 'added' | 'removed'): void {
    for (const id of this.channels.get(channel)?.sockets ?? []) {
      if (id === fromSocket) continue;
      const socket = this.sockets.get(id);
      queueMicrotask(() =>
        change === 'added' ? socket?.memberAdded(channel, member) : socket?.memberRemoved(channel, member),
      );
    }
  }
}

const GLOBAL_HUBS = Symbol.for('next-realtime.memoryHubs');

/**
 * The process-wide hub of this name: `REALTIME_PROVIDER=memory` on the server and
 * `{ provider: 'memory' }` on the client meet in it without configuration. Kept on globalThis
 * because Next.js dev and test runners may load this module more than once.
 */
export function getMemoryHub(name = 'default'): MemoryHub {
  const holder = globalThis as { [GLOBAL_HUBS]?: Map<string, MemoryHub> };
  const hubs = (holder[GLOBAL_HUBS] ??= new Map());
  let hub = hubs.get(name);
  if (!hub) hubs.set(name, (hub = new MemoryHub()));
  return hub;
}
