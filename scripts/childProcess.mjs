// Supervises a long-running child server (Soketi, `next start`): keeps its recent output for error
// messages, stops it with SIGTERM and then SIGKILL after a bounded wait, and kills it if this
// process exits without stopping it, so no orphan keeps holding a port.

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ quiet?: boolean, echoTo?: NodeJS.WritableStream, keepChunks?: number }} [options]
 */
export function superviseChild(child, { quiet = false, echoTo = process.stderr, keepChunks = 500 } = {}) {
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > keepChunks) output.shift();
    if (!quiet) echoTo.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  let stopping;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  const stop = (graceMs) => {
    stopping ??= (async () => {
      if (hasExited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return { output, exited, hasExited, stop };
}
