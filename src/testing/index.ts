/**
 * For applications' own tests: the in-process provider. `REALTIME_PROVIDER=memory` on the server
 * and `{ provider: 'memory' }` on the client meet in one hub, with signatures checked as on Soketi.
 */
export { MemoryHub, getMemoryHub } from '../providers/memory/hub.js';
export { createMemoryServer } from '../providers/memory/server.js';
export { createMemoryTransport } from '../providers/memory/client.js';
