// Who trains the trials. The driver only fills the study's queue; an Executor keeps workers taking
// from it. LocalWorkers runs them as child processes on this machine; a distributed executor would
// start the same work loop elsewhere against a shared TrialQueue.
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { pidAlive } from '../io/pid-alive.js';
import { refToEnv, STORAGE_ENV, type StorageRef } from './open-store.js';
import type { Liveness } from './store.js';
import type { TrialProgress, TrialSettings } from './trial.js';

export interface Executor {
  /** workers currently running */
  alive(): number;
  /** ask every worker to stop after its current step (trials keep their progress) and wait for them */
  stop(): Promise<void>;
}

/**
 * Is the process behind a worker id ("host:pid") still there? A zombie (killed, never reaped, as
 * in a container without an init) counts as gone. Another host's processes cannot be seen: undefined.
 */
export const isAlive: Liveness = (worker) => {
  const [host, pid] = [worker.slice(0, worker.lastIndexOf(':')), Number(worker.slice(worker.lastIndexOf(':') + 1))];
  if (host !== hostname()) return undefined;
  return pidAlive(pid);
};

export class LocalWorkers implements Executor {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;
  private restarts = 0;

  constructor(
    private readonly storage: StorageRef,
    count: number,
    private readonly o: { threads: number; topRung: number; settings: TrialSettings; workDir: string; log: (line: string) => void; onCrash: (pid: number, why: string) => void | Promise<void>; progress?: (p: TrialProgress) => void },
  ) {
    for (let i = 0; i < count; i++) this.spawn();
  }

  private spawn(): void {
    const child = fork(new URL('./worker.js', import.meta.url), [this.o.workDir, String(this.o.threads), String(this.o.topRung), JSON.stringify(this.o.settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, CMV3_THREADS: String(this.o.threads), [STORAGE_ENV]: refToEnv(this.storage) },
    });
    this.children.add(child);
    child.on('message', (m: { log?: string; progress?: TrialProgress }) => {
      if (m?.log) this.o.log(m.log);
      if (m?.progress) this.o.progress?.(m.progress);
    });
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping) return;
      // A crash (out of memory, a native fault): its trial is marked failed, and a fresh worker takes over.
      Promise.resolve(this.o.onCrash(child.pid!, signal ? `signal ${signal}` : `exit code ${code}`)).catch((err) => this.o.log(`could not mark the dead worker's trial: ${(err as Error).message}`));
      if (this.restarts++ < 8) this.spawn();
    });
  }

  alive(): number { return this.children.size; }

  async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children].map((c) => new Promise<void>((resolve) => { c.once('exit', () => resolve()); if (c.connected) c.send('stop'); else c.kill('SIGTERM'); }));
    await Promise.all(exits);
  }
}
