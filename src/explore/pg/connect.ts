// A PostgreSQL storage URL (postgresql://USER@HOST:PORT/DB?sslmode=...) as a connection pool, and
// the server's refusals as one line each. The password comes from PGPASSWORD or ~/.pgpass (the `pg`
// client reads both, as libpq does); a password written in the URL works but is never printed.
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import type * as Pg from 'pg';
import { StudyError } from '../store.js';

export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The URL as it may be shown: no password, no query string secrets. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString().replace(/^(postgres(?:ql)?:\/\/[^@/]*):@/i, '$1@');
  } catch {
    return 'postgresql://(unparsable URL)';
  }
}

/**
 * The URL as the pg client takes it with libpq's meaning of sslmode (require = encrypted, not
 * verified; verify-ca / verify-full check the certificate), which is what users of psql and
 * Optuna's psycopg2 expect; pg 8 alone treats require as verify-full and warns about it.
 */
export function clientUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.searchParams.has('sslmode') && !u.searchParams.has('uselibpqcompat')) u.searchParams.set('uselibpqcompat', 'true');
    return u.toString();
  } catch {
    return url;
  }
}

/** Host, port and database of a URL, for messages. */
function parts(url: string): { user: string; host: string; port: string; db: string } {
  const u = new URL(url);
  return { user: decodeURIComponent(u.username) || process.env.PGUSER || 'the current user', host: u.hostname || 'localhost', port: u.port || '5432', db: decodeURIComponent(u.pathname.slice(1)) };
}

export function checkUrl(url: string): void {
  let u: URL;
  try { u = new URL(url); } catch { throw new StudyError(`${safeUrl(url)} is not a PostgreSQL URL; write it as postgresql://USER@HOST:PORT/DATABASE`); }
  if (!u.pathname || u.pathname === '/') throw new StudyError(`${safeUrl(url)} names no database; write it as postgresql://USER@HOST:PORT/DATABASE`);
}

/** A connection error as one line that names the server and the fix. */
export function explain(err: unknown, url: string, hasPassword = true): StudyError {
  const e = err as { code?: string; message?: string };
  const { user, host, port, db } = parts(url);
  const where = `${host}:${port}`;
  const msg = (e.message ?? String(err)).split('\n')[0];
  switch (e.code) {
    case 'ECONNREFUSED': case 'ENOTFOUND': case 'EHOSTUNREACH': case 'ETIMEDOUT': case 'ENETUNREACH': case 'EAI_AGAIN':
      return new StudyError(`cannot reach PostgreSQL at ${where} (${e.code}); check that the server runs and that --storage names it`);
    case '28P01': case '28000':
      if (!hasPassword) return new StudyError(`PostgreSQL at ${where} asks user ${user} for a password and none was given (none in the URL, PGPASSWORD or ~/.pgpass); set PGPASSWORD or add it to ~/.pgpass`);
      return new StudyError(`PostgreSQL at ${where} refused user ${user} (${msg}); set PGPASSWORD or add the password to ~/.pgpass, and check the user`);
    case '3D000':
      return new StudyError(`database ${db} does not exist on ${where}; create it (createdb ${db}) or name another in --storage`);
    case '42501':
      return new StudyError(`user ${user} may not do that in database ${db} on ${where} (${msg}); grant it the rights to create tables there or use another database`);
    default:
      if (/password must be a string|no password|SASL/i.test(msg)) return new StudyError(`PostgreSQL at ${where} asks user ${user} for a password and none was given; set PGPASSWORD or add it to ~/.pgpass`);
      if (/timeout/i.test(msg)) return new StudyError(`cannot reach PostgreSQL at ${where} (no answer in 10 s); check the server and the network`);
      if (/SSL|certificate/i.test(msg)) return new StudyError(`PostgreSQL at ${where}: ${msg}; check sslmode in --storage`);
      return new StudyError(`PostgreSQL at ${where}: ${msg}`);
  }
}

/** What a pg client connects with, and whether a password was found for it. */
export interface Connection { config: Pg.ClientConfig; hasPassword: boolean }

/**
 * The URL's settings (sslmode with libpq's meaning) and the password libpq would use: the URL's
 * own, else PGPASSWORD, else the matching line of ~/.pgpass (or PGPASSFILE), read here with the
 * pgpass package (pg's own lookup is deprecated and warns on every connection). Held in memory only.
 */
export async function resolveConnection(url: string): Promise<Connection> {
  const req = createRequire(import.meta.url);
  const config = (req('pg-connection-string') as typeof import('pg-connection-string')).parseIntoClientConfig(clientUrl(url));
  let password = typeof config.password === 'string' && config.password ? config.password : process.env.PGPASSWORD || undefined;
  if (!password) {
    const u = new URL(url);
    const info = { host: u.hostname || 'localhost', port: u.port || '5432', database: decodeURIComponent(u.pathname.slice(1)), user: decodeURIComponent(u.username) || process.env.PGUSER || userInfo().username };
    password = await new Promise<string | undefined>((resolve) => (req('pgpass') as (i: object, cb: (p?: string) => void) => void)(info, resolve));
  }
  // '' rather than nothing: pg would look in ~/.pgpass again, with its deprecation warning.
  return { config: { ...config, password: password ?? '' }, hasPassword: password !== undefined };
}

/**
 * A pool on the URL, checked first by one plain client's round trip so a bad URL fails here, once,
 * with its reason. (A pool whose first connection fails authentication keeps its socket for 60 s,
 * which held the process open after the error message: measured with pg 8.23.)
 */
export async function connect(url: string): Promise<{ pool: Pg.Pool; connection: Connection }> {
  checkUrl(url);
  let pg: typeof Pg;
  try {
    pg = createRequire(import.meta.url)('pg');
  } catch (err) {
    throw new StudyError(`studies on PostgreSQL need the pg package, which is not installed (${(err as Error).message.split('\n')[0]}); run npm install pg`);
  }
  const c = await resolveConnection(url);
  const probe = new pg.Client({ ...c.config, connectionTimeoutMillis: 10000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (err) {
    throw explain(err, url, c.hasPassword);
  } finally {
    await probe.end().catch(() => {});
  }
  // Idle connections stay open (idleTimeoutMillis 0): reconnecting while training holds the event
  // loop timed out.
  const pool = new pg.Pool({ ...c.config, max: 3, connectionTimeoutMillis: 10000, idleTimeoutMillis: 0 });
  pool.on('error', () => {}); // an idle client's lost connection; the next query reports it
  return { pool, connection: c };
}
