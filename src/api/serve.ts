// The dashboard as a library call. `cmv3 serve` is a thin layer over it.
import { resolve } from 'node:path';
import { DEFAULT_MAX_PIXELS } from '../data/image.js';
import { startServer } from '../serve/server.js';
import { OptionError } from './common.js';

/** Options of `serveDashboard`; every one has a default. */
export interface DashboardOptions {
  /** default 8080; 0 picks a free port */
  port?: number;
  /** the address to bind; default 127.0.0.1 (other addresses let other machines in) */
  host?: string;
  /** Host names besides this machine's own that requests may carry (e.g. behind a reverse proxy) */
  allowHosts?: string[];
  /** default ./runs */
  runs?: string;
  /** default ./studies */
  studies?: string;
  /** largest accepted upload, bytes; default 8 MB */
  maxUpload?: number;
  /** largest image classified on the server, pixels; default 16 million */
  maxPixels?: number;
}

/** A running dashboard: its address, the Host names it accepts, and how to stop it. */
export interface Dashboard {
  url: string;
  hosts: string[];
  /** stops the server; resolves when it has closed */
  close: () => Promise<void>;
}

/** Starts the dashboard (runs, models, studies, in-browser classification) over the given folders. */
export async function serveDashboard(o: DashboardOptions = {}): Promise<Dashboard> {
  const port = o.port ?? 8080;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new OptionError(`Expected a port from 0 to 65535 but received ${port}`);
  return startServer({
    port, host: o.host ?? '127.0.0.1', allowHosts: o.allowHosts ?? [], maxPixels: o.maxPixels ?? DEFAULT_MAX_PIXELS,
    runs: resolve(o.runs ?? 'runs'), studies: resolve(o.studies ?? 'studies'), maxUpload: o.maxUpload ?? 8 * 1024 * 1024,
  });
}
