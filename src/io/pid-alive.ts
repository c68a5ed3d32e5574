// Is a process of this machine still running? A zombie (killed, never reaped, as in a container
// whose PID 1 does not reap orphans) counts as gone: kill(pid, 0) alone succeeds on one.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/**
 * Removes the temp files (NAME.tmp-PID, written by writeAtomic and saveCheckpoint) that processes
 * no longer running left in `dir` when they were killed mid-write. Returns their names.
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}
