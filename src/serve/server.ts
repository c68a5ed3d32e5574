// cmv3 serve: a local dashboard. The JSON API reads run folders, studies and checkpoints; the
// page (built into dist/web at package build time) draws them and classifies images itself.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { HttpError, readBody, sendBytes, sendError, sendJson, sendStatic } from './http.js';
import { checkpointFor, confusionCell, floatTflite, int8Tflite, testImagePng, listModels, modelReport, runConfusion, confusionProgress, serverPredict, type Roots } from './models.js';
import { childOf } from './paths.js';
import { INTERNAL_ERROR, isInternalError } from '../internal-error.js';
import { listRuns, runDetail, streamRun } from './runs.js';
import { listStudies, studyDetail } from './studies.js';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const WEB_FILES = new Set(['index.html', 'app.js', 'style.css']);

export interface ServeOptions extends Roots {
  port: number;
  host: string;
  /** largest accepted upload (an image to classify on the server), bytes */
  maxUpload: number;
  /** names (or addresses) besides this machine's own that a request's Host may carry */
  allowHosts?: string[];
  webDir?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], q: URLSearchParams) => unknown;

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new HttpError(400, `Expected an integer from ${min} to ${max} for ${name} but received ${JSON.stringify(v)}`);
  return Number(v);
}

function need(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw new HttpError(400, `Expected a ${name} query parameter`);
  return v;
}

export function routes(o: ServeOptions): [string, RegExp, Handler][] {
  return [
    ['GET', /^\/api\/runs$/, (_q, res) => sendJson(res, listRuns(o.runs))],
    ['GET', /^\/api\/runs\/([^/]+)$/, (_q, res, [n]) => sendJson(res, runDetail(childOf(o.runs, n, 'run'), n))],
    ['GET', /^\/api\/runs\/([^/]+)\/events$/, (_q, res, [n]) => streamRun(res, childOf(o.runs, n, 'run'), n)],
    ['GET', /^\/api\/runs\/([^/]+)\/confusion$/, async (_q, res, [n]) => sendJson(res, await runConfusion(n, o))],
    ['GET', /^\/api\/runs\/([^/]+)\/confusion\/progress$/, async (_q, res, [n]) => sendJson(res, confusionProgress(n) ?? { done: 0, total: 0 })],
    ['GET', /^\/api\/runs\/([^/]+)\/confusion\/cell$/, (_q, res, [n], q) => sendJson(res, confusionCell(n, intParam(q, 'true', 0, 100000) ?? 0, intParam(q, 'pred', 0, 100000) ?? 0))],
    ['GET', /^\/api\/runs\/([^/]+)\/test-image$/, (_q, res, [n], q) => sendBytes(res, testImagePng(n, intParam(q, 'index', 0, 1e7) ?? 0), 'image/png')],
    ['GET', /^\/api\/models$/, (_q, res) => sendJson(res, listModels(o))],
    ['GET', /^\/api\/models\/report$/, async (_q, res, _p, q) => sendJson(res, await modelReport(need(q, 'id'), o, q.get('target') ?? 'imxrt1060'))],
    ['GET', /^\/api\/models\/tflite$/, async (req, res, _p, q) => {
      const id = need(q, 'id'), { checkpoint } = checkpointFor(id, o); // a bad id fails before any work
      // The checkpoint's identity as an ETag: the page keeps its parsed model until training replaces the file.
      const st = statSync(checkpoint), etag = `"${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}"`;
      if (req.headers['if-none-match'] === etag || req.headers['if-none-match'] === `${etag.slice(0, -1)}-int8"`) { res.writeHead(304, { etag: req.headers['if-none-match'] }).end(); return; }
      const int8 = q.get('int8') === '1';
      const file = `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}${int8 ? '-int8' : ''}.tflite`;
      sendBytes(res, await (int8 ? int8Tflite(id, o) : floatTflite(id, o)), 'application/octet-stream', file, int8 ? `${etag.slice(0, -1)}-int8"` : etag);
    }],
    ['POST', /^\/api\/predict$/, async (req, res, _p, q) => {
      const id = need(q, 'id'), top = intParam(q, 'top', 1, 1000) ?? 3;
      checkpointFor(id, o);
      sendJson(res, await serverPredict(id, o, await readBody(req, o.maxUpload), top));
    }],
    ['GET', /^\/api\/studies$/, (_q, res) => sendJson(res, listStudies(o.studies))],
    ['GET', /^\/api\/studies\/([^/]+)$/, (_q, res, [n], q) => sendJson(res, studyDetail(o.studies, n, intParam(q, 'rung', 0, 100)))],
  ];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The names a request's Host may carry: the loopback names, and when the server is bound to
 * another address, that address (or for 0.0.0.0 / :: every address of this machine) and its
 * host name, plus what --allow-host lists. Anything else is refused whatever the bind address:
 * a web page whose domain is re-pointed at this machine (DNS rebinding) sends its own name.
 */
export function allowedHostNames(bind: string, extra: readonly string[] = []): string[] {
  const names = new Set(LOOPBACK);
  if (!LOOPBACK.has(bind)) {
    if (bind === '0.0.0.0' || bind === '::') {
      names.add(hostname());
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address);
    } else names.add(bind);
  }
  for (const e of extra) names.add(e.toLowerCase());
  return [...names];
}

/** `name:port` as a Host header spells it (IPv6 in brackets). */
const hostHeader = (name: string, port: number) => `${name.includes(':') ? `[${name}]` : name}:${port}`;

/**
 * Only requests whose Host names this dashboard are served, and a POST must come from the
 * dashboard's own origin, so no other page can make the server work for it.
 */
function checkOrigin(allowed: ReadonlySet<string>, port: number, req: IncomingMessage): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    throw new HttpError(403, `Host ${JSON.stringify(host)} is not this dashboard; open it as http://127.0.0.1:${port}/ (or start cmv3 serve with --allow-host NAME)`);
  }
  const origin = req.headers.origin;
  if (req.method === 'POST' && origin !== undefined && origin !== `http://${host}`) throw new HttpError(403, `requests from ${origin} are not accepted; use the dashboard's own page`);
}

export async function handle(o: ServeOptions, port: number, allowed: ReadonlySet<string>, table: ReturnType<typeof routes>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    checkOrigin(allowed, port, req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path: string;
    try { path = decodeURIComponent(url.pathname); } catch { throw new HttpError(400, 'the URL is not valid percent-encoding'); }
    if (!path.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here`);
      if (!sendStatic(res, o.webDir ?? WEB_DIR, WEB_FILES, path === '/' ? 'index.html' : path.slice(1))) throw new HttpError(404, `no page ${path}`);
      return;
    }
    const match = table.map(([m, re, h]) => ({ m, h, p: re.exec(path) })).filter((r) => r.p);
    if (!match.length) throw new HttpError(404, `no API ${path}`);
    const hit = match.find((r) => r.m === req.method);
    if (!hit) throw new HttpError(405, `${req.method} is not allowed on ${path}; use ${match.map((r) => r.m).join(' or ')}`);
    await hit.h(req, res, hit.p!.slice(1), url.searchParams);
  } catch (err) {
    if (err instanceof HttpError) sendError(res, err.status, err.message);
    else if (isInternalError(err)) {
      // The details go to the server's log, never to the page: they are JavaScript's words, not an explanation.
      console.error(`cmv3 serve: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, 500, `${INTERNAL_ERROR}; the server's log has the details`);
    } else {
      console.error(`cmv3 serve: ${req.method} ${req.url}: ${(err as Error).message}`);
      sendError(res, 500, (err as Error).message.split('\n')[0]);
    }
  }
}

/** Starts the server; resolves once it listens, with its URL and a close function. */
export function startServer(o: ServeOptions): Promise<{ url: string; hosts: string[]; close: () => Promise<void> }> {
  const table = routes(o);
  let port = o.port;
  const names = allowedHostNames(o.host, o.allowHosts);
  let allowed = new Set<string>();
  const server = createServer((req, res) => { void handle(o, port, allowed, table, req, res); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      const a = server.address();
      port = typeof a === 'object' && a ? a.port : o.port;
      allowed = new Set(names.flatMap((n) => (port === 80 ? [hostHeader(n, port), n.includes(':') ? `[${n}]` : n] : [hostHeader(n, port)])));
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({
        url: `http://${host}:${port}/`, hosts: names,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
