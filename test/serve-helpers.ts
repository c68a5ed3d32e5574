// Helpers for the dashboard tests: the CLI as a child process, a served dashboard, PNG files,
// a small study with known results, and where screenshots go.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { Driver, type ExploreOptions } from '../src/explore/driver.js';
import { SPACES } from '../src/explore/presets.js';
import { Study } from '../src/explore/store.js';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Screenshots and other test artifacts: CMV3_TEST_OUTPUT, else test-output/ in the checkout. */
export function outputDir(name: string): string {
  const dir = resolve(process.env.CMV3_TEST_OUTPUT ?? fileURLToPath(new URL('../../test-output/', import.meta.url)), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CMV3_DEBUG: '', ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `cmv3 serve --port 0 ...` as a user starts it; resolves with its URL once it listens. */
export function serve(args: string[]): Promise<{ url: string; proc: ChildProcess; stop: () => Promise<number | null> }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { env: { ...process.env, CMV3_THREADS: '1' } });
    let out = '', err = '';
    proc.stderr.on('data', (d) => (err += d));
    proc.on('close', (code) => fail(new Error(`cmv3 serve exited (${code}): ${err}`)));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /dashboard at (http:\/\/\S+)/.exec(out);
      if (m) done({ url: m[1], proc, stop: () => new Promise((r) => { proc.removeAllListeners('close'); proc.on('close', r); proc.kill('SIGINT'); }) });
    });
  });
}

export function pngOf(pixels: Uint8Array, w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) { for (let k = 0; k < 3; k++) png.data[p * 4 + k] = pixels[p * 3 + k]; png.data[p * 4 + 3] = 255; }
  return PNG.sync.write(png);
}

/**
 * A study of `n` finished trials at one rung with known results (accuracy falls with the int8
 * size, as in test 63), made by the real driver and store; no training.
 */
export async function fakeStudy(dir: string, n: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const o: ExploreOptions = {
    strategy: 'random', trials: n, population: n, rungs: [{ epochs: 1, trainImages: 100 }], eta: 3,
    objectives: ['flash'], constraints: {}, target: 'imxrt1060', seed: 3, budgetSeconds: null, workers: 1, threads: 1,
    settings: { data: '/nowhere', batchSize: 8, validation: 100, testImages: null, int8Images: 0, calibration: 1, observer: 'minmax' },
  };
  const space = SPACES['cmv3-neighbourhood'];
  const s = Study.create(join(dir, 'study.sqlite'), o, space);
  const d = new Driver(s, space, o, () => {});
  for (let i = 0; i < 10 && !(await d.schedule()); i++) {
    for (let t; (t = s.claim('fake')); ) s.complete(t.id, 'fake', { valAcc: 0.9 - t.cost!.int8Bytes / 1e7, testAcc: 0.88 - t.cost!.int8Bytes / 1e7, trainSeconds: 1, imagesPerSec: 1 }, 1);
  }
  const done = s.counts().done;
  s.setState('finished');
  s.close();
  return done;
}
