import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { pidIsAlive, portIsFree } from './processes.js';

/**
 * Stops a Soketi and starts a new one on the SAME port with the same app, as an operator's
 * restart would. Waits for the old pid to be gone and the port to be free first: uWS listens
 * with SO_REUSEPORT, so a dying process could otherwise answer part of the new connections.
 */
export async function restartSoketi(
  current: SoketiProcess,
  options: { downMs?: number; whileDown?: () => Promise<void> } = {},
): Promise<SoketiProcess> {
  await current.stop();
  const deadline = Date.now() + 10_000;
  while (pidIsAlive(current.pid) || !(await portIsFree(current.port))) {
    if (Date.now() > deadline) throw new Error(`soketi pid ${current.pid} still holds port ${current.port} after stop()`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Stay down a while, as a real restart does, so clients see the outage.
  if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
  // What the caller wants to observe during the outage (the old pid is gone, nothing listens).
  await options.whileDown?.();
  return startSoketi({
    port: current.port,
    metricsPort: current.metricsPort,
    app: { appId: current.appId, key: current.key, secret: current.secret },
    quiet: true,
  });
}
