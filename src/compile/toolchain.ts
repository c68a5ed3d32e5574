// Building and running the generated C: on this computer with its C compiler (the portable
// reference twin), and for a Cortex-M7 with Debian's arm-none-eabi-gcc, run on QEMU's mps2-an500
// with -icount shift=0 (one instruction = 1 ns of virtual time, so the 25 MHz SysTick advances
// one tick per 40 instructions: instruction counts, on an emulator, not cycles on a board).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportError } from '../deploy/lower.js';
import { KERNEL_SOURCES, MCU_DIR } from './compile.js';

export const APT_PACKAGES = 'gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm';
export const M7_FLAGS = ['-mcpu=cortex-m7', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv5-d16', '-O2', '-std=c99', '-ffunction-sections', '-fdata-sections'];
/** SysTick runs on mps2's 25 MHz system clock; -icount shift=0 makes one instruction 1 ns. */
export const INSTRUCTIONS_PER_TICK = 40;

export class ToolchainError extends Error {
  readonly code = 'ERR_TOOLCHAIN';
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new ToolchainError(`${cmd} is not installed`);
  if (r.error) throw new ToolchainError(`${cmd} failed: ${r.error.message}`);
  if (r.status !== 0) throw new ToolchainError(`${cmd} ${args.slice(0, 3).join(' ')}... exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 5).join(' | ')}`);
  return r.stdout;
}

const has = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;

/** One line naming what is missing and the apt command, or null when the M7 toolchain is here. */
export function missingToolchain(): string | null {
  const missing = ['arm-none-eabi-gcc', 'qemu-system-arm'].filter((c) => !has(c));
  return missing.length ? `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed; install with: sudo apt-get install ${APT_PACKAGES}` : null;
}

/** The images as C: int8 inputs, linked in. */
export function imagesSource(images: Int8Array[], inputSize: number): string {
  const body = images.map((im) => {
    if (im.length !== inputSize) throw new ExportError(`an image has ${im.length} values, the model input ${inputSize}`, 'ERR_SHAPE');
    const rows: string[] = [];
    for (let i = 0; i < im.length; i += 32) rows.push('    ' + Array.from(im.subarray(i, i + 32)).join(','));
    return `  {\n${rows.join(',\n')}\n  }`;
  });
  return `#include <stdint.h>\n#include "cmv3_model.h"\nconst int cmv3_image_count = ${images.length};\nconst int8_t cmv3_images[${Math.max(1, images.length)}][CMV3_INPUT_SIZE] = {\n${body.join(',\n') || '  {0}'}\n};\n`;
}

/** A scratch folder holding the generated files, the harness and the images. */
function stage(files: Record<string, string>, images: Int8Array[], inputSize: number, bare: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-c-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'cmv3_images.c'), imagesSource(images, inputSize));
  const extra = bare ? ['harness.c', 'startup.c', 'mps2-an500.ld'] : ['harness.c'];
  for (const f of extra) copyFileSync(new URL(`emulate/${f}`, MCU_DIR), join(dir, f));
  return dir;
}

const SOURCES = ['cmv3_model.c', ...KERNEL_SOURCES, 'cmv3_images.c', 'harness.c'];

export interface HarnessOutput {
  outputs: Int8Array[];
  layerTicks: number[];
  totalTicks: number;
  stackBytes: number;
  calibrationTicks: number;
}

export function parseHarness(text: string, classes: number): HarnessOutput {
  const r: HarnessOutput = { outputs: [], layerTicks: [], totalTicks: 0, stackBytes: 0, calibrationTicks: 0 };
  let done = false;
  for (const line of text.split('\n')) {
    const [tag, a, b] = line.trim().split(' ');
    if (tag === 'out') r.outputs[Number(a)] = Int8Array.from({ length: classes }, (_, k) => parseInt(b.slice(2 * k, 2 * k + 2), 16) << 24 >> 24);
    else if (tag === 'layer') r.layerTicks[Number(a)] = Number(b);
    else if (tag === 'total') r.totalTicks = Number(a);
    else if (tag === 'stack') r.stackBytes = Number(a);
    else if (tag === 'calib') r.calibrationTicks = Number(a);
    else if (tag === 'done') done = true;
    else if (tag === 'fault') throw new ToolchainError('the model faulted on the emulated Cortex-M7 (a cmv3 bug; please report it with the model)');
  }
  if (!done) throw new ToolchainError(`the harness did not finish: ${text.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  return r;
}

/** The generated C built for this computer (cc, portable kernels) and run on the images. */
export function runHost(files: Record<string, string>, images: Int8Array[], inputSize: number, classes: number, flags: string[] = []): HarnessOutput {
  const dir = stage(files, images, inputSize, false);
  try {
    run('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', ...flags, '-o', 'harness', ...SOURCES, '-lm'], dir);
    return parseHarness(run(join(dir, 'harness'), [], dir), classes);
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Flash of the model and kernel objects for a Cortex-M7 (text + data), or null without the toolchain. */
export function m7Flash(files: Record<string, string>): number | null {
  if (!has('arm-none-eabi-gcc')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cmv3-flash-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const sources = ['cmv3_model.c', ...KERNEL_SOURCES];
    for (const f of sources) run('arm-none-eabi-gcc', [...M7_FLAGS, '-c', '-o', f.replace(/\.c$/, '.o'), f], dir);
    return objectFlash(run('arm-none-eabi-size', sources.map((f) => f.replace(/\.c$/, '.o')), dir));
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Sum of text + data over arm-none-eabi-size's table of objects. */
function objectFlash(table: string): number {
  return table.trim().split('\n').slice(1).reduce((a, l) => { const [text, data] = l.trim().split(/\s+/).map(Number); return a + text + data; }, 0);
}

export interface Emulated extends HarnessOutput {
  /** code + constants of the model and kernel objects (arm-none-eabi-size, text + data) */
  flashBytes: number;
  instructionsPerTick: number;
}

/** The generated C cross-compiled for a Cortex-M7 and run on QEMU's mps2-an500. */
export function runM7(files: Record<string, string>, images: Int8Array[], inputSize: number, classes: number): Emulated {
  const missing = missingToolchain();
  if (missing) throw new ToolchainError(missing);
  const dir = stage(files, images, inputSize, true);
  try {
    const objects = ['cmv3_model.c', ...KERNEL_SOURCES].map((f) => f.replace(/\.c$/, '.o'));
    for (const f of ['cmv3_model.c', ...KERNEL_SOURCES]) run('arm-none-eabi-gcc', [...M7_FLAGS, '-Wall', '-DCMV3_PROFILE', '-c', '-o', f.replace(/\.c$/, '.o'), f], dir);
    const flashBytes = objectFlash(run('arm-none-eabi-size', objects, dir));
    run('arm-none-eabi-gcc', [...M7_FLAGS, '-DCMV3_BARE_METAL', '-DCMV3_PROFILE', '-nostartfiles', '--specs=nano.specs', '--specs=nosys.specs',
      '-T', 'mps2-an500.ld', '-Wl,--gc-sections', '-o', 'model.elf', 'startup.c', 'harness.c', 'cmv3_images.c', ...objects, '-lm'], dir);
    // semihosting output may go to stdout or stderr depending on QEMU's version: read both; a
    // non-zero exit is the harness's own verdict (a fault), which parseHarness names
    const q = spawnSync('qemu-system-arm', ['-M', 'mps2-an500', '-cpu', 'cortex-m7', '-nographic', '-monitor', 'none', '-serial', 'none',
      '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=0', '-kernel', 'model.elf'], { cwd: dir, encoding: 'utf8', timeout: 3_600_000, maxBuffer: 64 << 20 });
    if (q.error) throw new ToolchainError(`qemu-system-arm failed: ${q.error.message}`);
    const h = parseHarness(`${q.stdout}\n${q.stderr}`, classes);
    // the calibration loop runs 1,000,000 x (subs, bne): 2,000,000 instructions
    const instructionsPerTick = h.calibrationTicks > 0 ? Math.round(2_000_000 / h.calibrationTicks) : INSTRUCTIONS_PER_TICK;
    return { ...h, flashBytes, instructionsPerTick };
  } finally {
    if (!process.env.CMV3_KEEP_BUILD) rmSync(dir, { recursive: true, force: true });
    else console.error(`build kept in ${dir}: ${readdirSync(dir).join(' ')}`);
  }
}
