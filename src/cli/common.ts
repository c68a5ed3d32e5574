// Small things several commands share.
export { DEFAULT_DATA, dataDir } from '../data/default-dir.js';

/**
 * Ctrl-C as the long-running commands take it: the first asks for a clean stop (`signal.stop`, the
 * work saves its progress), the second quits at once (exit 130). `dispose` removes the handler.
 */
export function stopOnSigint(message: string): { signal: { stop: boolean }; dispose: () => void } {
  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    process.stderr.write(`\ncmv3: ${message}\n`);
  };
  process.on('SIGINT', onSigint);
  return { signal, dispose: () => process.off('SIGINT', onSigint) };
}
