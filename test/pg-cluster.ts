// A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder and pg_ctl on a free
// loopback port, as an unprivileged user (PostgreSQL refuses to run as root: under root the
// cluster belongs to the `postgres` user the Debian package creates). Password authentication
// (scram-sha-256), so the tests also see what a wrong password does. Stopped by stop().
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_USER = 'cmv3test';
export const PG_PASSWORD = 'cmv3-test-pw';

export interface Cluster { port: number; url: (db: string) => string; stop: () => void; psql: (db: string, sql: string) => string }

/** Debian's server binaries (postgresql-NN), newest first; null when PostgreSQL is not installed. */
export function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const v = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'bin') : null;
}

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

export async function startCluster(): Promise<Cluster> {
  const bin = pgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-pg-'));
  const root = process.getuid?.() === 0;
  const owner = root ? spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }) : null;
  if (root && owner!.status !== 0) throw new Error('running as root needs the postgres user (created by apt-get install postgresql) to own the test cluster');
  const uid = root ? Number(owner!.stdout.trim()) : undefined;
  const gid = root ? Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()) : undefined;
  chmodSync(dir, 0o755);
  if (root) chownSync(dir, uid!, gid!);
  const as = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', uid, gid, cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const pw = join(dir, 'pw');
  writeFileSync(pw, PG_PASSWORD);
  if (root) chownSync(pw, uid!, gid!);
  as(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', PG_USER, '--auth=scram-sha-256', `--pwfile=${pw}`, '-E', 'UTF8']);
  const port = await freePort();
  as(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  const url = (db: string) => `postgresql://${PG_USER}@127.0.0.1:${port}/${db}`;
  const psql = (db: string, sql: string) => {
    const r = spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: PG_PASSWORD } });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout.trim();
  };
  const stop = () => {
    spawnSync(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop'], { uid, gid, cwd: dir });
    rmSync(dir, { recursive: true, force: true });
  };
  return { port, url, stop, psql };
}

/** In CI PostgreSQL must be there; elsewhere a test without it is skipped with the reason. */
export function pgOrSkip(t: { skip: (msg: string) => void }): boolean {
  if (pgBin()) return true;
  if (process.env.CI) throw new Error('PostgreSQL not found: apt-get install postgresql');
  t.skip('PostgreSQL not installed (apt-get install postgresql)');
  return false;
}

/** A study of `n` pending trials that need no training (for claiming under contention). */
export async function fakeQueue(url: string, name: string, n: number): Promise<void> {
  const { PgStudy } = await import('../src/explore/pg/store.js');
  const { SPACES } = await import('../src/explore/presets.js');
  const { exploreOptions } = await import('../src/api/explore.js');
  const space = SPACES['paper-widths'];
  const s = await PgStudy.create(url, name, exploreOptions({ space, data: '/nonexistent' }, space), space);
  for (let i = 0; i < n; i++) {
    await s.add({ key: `k${i}`, rung: 0, generation: 0, genes: [i % 5], label: `fake ${i}`, spec: { name: 'fake' } as never, epochs: 1, trainImages: 1, seed: 1, status: 'pending',
      cost: { params: 1, macs: 1, int8Bytes: 1, float32Bytes: 1, arenaBytes: 1, latencyMs: 1, target: 'imxrt1060' } });
  }
  await s.close();
}

