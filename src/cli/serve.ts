// cmv3 serve [--port 8080] [--host 127.0.0.1] [--runs runs/] [--studies studies/] [--max-upload 8MB]
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_MAX_PIXELS } from '../data/image.js';
import { serveDashboard } from '../api/serve.js';
import { WEB_DIR } from '../serve/server.js';
import { maxPixelsOption, numberOption, parse, UsageError } from './args.js';
import { parseBytes } from './explore-options.js';

export const SERVE_USAGE = `usage: cmv3 serve [--port 8080] [--host 127.0.0.1] [--allow-host NAME]... [--runs runs/] [--studies studies/] [--max-upload 8MB] [--max-megapixels 16]
  a local dashboard: runs (live curves, confusion matrix), models (layer table, MCU report), studies (Pareto plot),
  and an image classifier that runs the exported model in the browser. It binds 127.0.0.1 unless --host says otherwise;
  requests must name this machine (or an --allow-host name, e.g. the name a reverse proxy forwards) in their Host.`;

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    port: { type: 'string' }, host: { type: 'string' }, runs: { type: 'string' }, studies: { type: 'string' }, 'max-upload': { type: 'string' },
    'allow-host': { type: 'string', multiple: true }, 'max-megapixels': { type: 'string' },
  }, SERVE_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length) throw new UsageError(`serve takes no positional arguments but received ${positionals.join(' ')}\n${SERVE_USAGE}`);
  const port = numberOption(values.port, 'port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port from 0 to 65535') ?? 8080;
  const folder = (flag: string, fallback: string) => {
    const dir = resolve((values[flag] as string | undefined) ?? fallback);
    if (values[flag] !== undefined && (!existsSync(dir) || !statSync(dir).isDirectory())) throw new UsageError(`--${flag} ${values[flag]}: no such folder; pass the folder your ${flag} are in`);
    return dir;
  };
  const maxUpload = values['max-upload'] === undefined ? 8 * 1024 * 1024 : parseBytes(values['max-upload'] as string, 'max-upload');
  if (maxUpload < 1024) throw new UsageError(`Expected at least 1KB for --max-upload but received ${JSON.stringify(values['max-upload'])}`);
  if (!existsSync(`${WEB_DIR}index.html`)) throw new UsageError(`the dashboard's page is not built (${WEB_DIR}); run npm run build`);
  const maxPixels = maxPixelsOption(values['max-megapixels'], DEFAULT_MAX_PIXELS);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const allowHosts = (values['allow-host'] as string[] | undefined) ?? [];
  for (const h of allowHosts) {
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(h)) throw new UsageError(`Expected a host name or address for --allow-host but received ${JSON.stringify(h)} (no port, no scheme)`);
  }
  let server;
  try {
    server = await serveDashboard({ port, host, allowHosts, maxPixels, runs: folder('runs', 'runs'), studies: folder('studies', 'studies'), maxUpload });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; pick another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot bind ${host}; pass an address of this machine with --host`);
    throw err;
  }
  console.log(`cmv3 dashboard at ${server.url} (Ctrl-C stops it)`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.log(`note: --host ${host} lets other machines reach this dashboard and its files`);
  }
  console.log(`accepted Host names: ${server.hosts.join(', ')} (add one with --allow-host NAME)`);
  await new Promise<void>((done) => process.once('SIGINT', () => { void server.close().then(done); }));
}
