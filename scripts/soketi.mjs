// `npm run soketi`: a local Soketi on port 6001 (SOKETI_PORT to change) with the default app
// (app-id / app-key / app-secret), user authentication and client events on. Ctrl-C stops it.
import { startSoketi } from './soketiProcess.mjs';

const soketi = await startSoketi({
  port: Number(process.env.SOKETI_PORT ?? 6001),
  metricsPort: Number(process.env.SOKETI_METRICS_SERVER_PORT ?? 9601),
});
console.log(`soketi is ready on ws://127.0.0.1:${soketi.port} (app ${soketi.appId}, key ${soketi.key}); Ctrl-C stops it`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await soketi.stop();
    process.exit(0);
  });
}
const { code } = await soketi.exited;
process.exit(code ?? 1);
