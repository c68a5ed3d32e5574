// The microcontroller path as library calls: cmv3's own C (compile), that C measured on an
// emulated Cortex-M7 (emulate), and a board project folder (deploy). `cmv3 compile`, `cmv3 emulate`
// and `cmv3 deploy` are thin layers over these.
import { basename } from 'node:path';
import { compileGraph } from '../compile/compile.js';
import { loadEmulation, saveEmulation } from '../compile/emulation-cache.js';
import { mcuxProject } from '../compile/mcux.js';
import { INSTRUCTIONS_PER_TICK, m7Flash, missingToolchain, runM7, ToolchainError } from '../compile/toolchain.js';
import { int8Inputs, scoreOutputs } from '../compile/verify.js';
import { DataError } from '../data/cifar.js';
import { readDataset } from '../data/folder.js';
import { testImage } from '../data/test-image.js';
import { ARENA_MARGIN, eiqFacts, eiqProject } from '../deploy/eiq.js';
import { int8Graph } from '../deploy/pipeline.js';
import { TARGETS } from '../deploy/report.js';
import { readTflite } from '../deploy/tflite/read.js';
import { checkTfliteRules } from '../deploy/tflite/validate.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { checkOut, writeFolder } from '../io/write-folder.js';
import { oneOf, OptionError, positiveInteger, progressTicker, throwIfAborted } from './common.js';
import { calibrationOf, type Calibration, type QuantizeOptions } from './deploy.js';
import { loadInt8Model } from './int8-model.js';
import { asTrained, type TrainedModel } from './model.js';

/** Cores cmv3's C is compiled for. */
export const COMPILE_TARGETS = ['cortex-m7'] as const;
/** Boards with a project generator (the eIQ folder is for NXP's MCUXpresso SDK). */
export const DEPLOY_TARGETS = ['imxrt1060'] as const;

const COMPILE_MARKER = 'cmv3_model.h';
/** Files whose presence says a folder is an earlier deploy folder (safe to replace with force). */
const DEPLOY_MARKERS = ['model_ops.h', 'cmv3_example.c'];

export interface CompileOptions extends QuantizeOptions {
  /** 'cortex-m7' */
  target: string;
  /** the folder to write */
  out: string;
  /** replace `out` when it holds an earlier compile folder */
  force?: boolean;
}

/** What `compile` wrote and measured. */
export interface CompileResult {
  out: string; target: string; model: string; files: string[]; layers: number;
  /** the static arena, bytes (in-place layers included) */
  arenaBytes: number; liveMaxBytes: number;
  /** model + kernels for a Cortex-M7 when arm-none-eabi-gcc is installed, else null */
  flashBytes: number | null;
  /** as `emulate` measured it on this model, else null */
  stackBytes: number | null;
  /** the date of that emulation, else null */
  emulatedOn: string | null;
  image: string; expected: { label: string; index: number }; provenance: string; notes: string[];
}

/**
 * Interpreter-free C99 for the model (cmv3_model.h/.c, the kernels, main.c, a Makefile), bit-exact
 * with cmv3's int8 engine. `model`: an int8 .tflite path, or a trained model quantized first.
 */
export async function compile(model: string, options: CompileOptions): Promise<CompileResult> {
  const target = oneOf(options?.target, COMPILE_TARGETS, 'target');
  if (typeof options.out !== 'string' || !options.out) throw new OptionError('Expected an output folder for out');
  checkOut(options.out, options.force === true, COMPILE_MARKER, 'compile'); // before the minutes of calibrating
  const m = await loadInt8Model(model, options);
  throwIfAborted(options.signal);
  const s = m.graph.tensors[m.graph.inputs[0]].shape;
  const { image, note } = testImage(m.data, s[1], s[3], m.labels);
  const c = compileGraph(m.graph, image);
  writeFolder(options.out, c.files, options.force === true, COMPILE_MARKER, 'compile');
  const flashBytes = m7Flash(c.files), emulated = loadEmulation(m.bytes);
  return {
    out: options.out, target, model: m.name, files: Object.keys(c.files).sort(), layers: c.program.layers.length,
    arenaBytes: c.plan.bytes, liveMaxBytes: c.plan.liveMax, flashBytes, stackBytes: emulated?.stackBytes ?? null, emulatedOn: emulated?.date ?? null,
    image: note, expected: c.expected, provenance: m.provenance,
    notes: [
      flashBytes === null ? 'flash: install gcc-arm-none-eabi to measure it (model + kernels, text + data of the objects)' : 'flash: text + data of the model and kernel objects (arm-none-eabi-size, before the linker drops unused code)',
      emulated ? `stack: measured by cmv3 emulate on ${emulated.date}` : 'stack: run cmv3 emulate on this model to measure it',
    ],
  };
}

export interface EmulateOptions extends QuantizeOptions {
  /** 'cortex-m7' */
  target: string;
  /** test images to run; default 10 */
  images?: number;
}

/** What `emulate` measured: bit-exactness against the int8 engine, top-1, instructions (per layer), memory. */
export interface EmulateResult {
  model: string; target: string; board: string; images: number;
  /** outputs byte-for-byte equal to cmv3's int8 engine (must be all) */
  bitExact: number; top1: number;
  instructionsPerImage: number; instructionsPerTick: number; latencyMsAt600MHzOneIpc: number;
  flashBytes: number; arenaBytes: number; stackBytes: number; inputBytes: number;
  layers: { index: number; kind: string; name: string; instructions: number }[];
  note: string; data: string;
}

/**
 * Compiles cmv3's C with arm-none-eabi-gcc and runs it on QEMU's Cortex-M7 (mps2-an500, -icount):
 * instruction counts on an emulator, not cycles on a board. Needs gcc-arm-none-eabi,
 * libnewlib-arm-none-eabi and qemu-system-arm (a ToolchainError says so).
 */
export async function emulate(model: string, options: EmulateOptions): Promise<EmulateResult> {
  const target = oneOf(options?.target, COMPILE_TARGETS, 'target');
  const count = options.images === undefined ? 10 : positiveInteger(options.images, 'images');
  const missing = missingToolchain();
  if (missing) throw new ToolchainError(`cmv3 emulate: ${missing}`); // before minutes of calibrating
  const m = await loadInt8Model(model, options);
  const g = m.graph, s = g.tensors[g.inputs[0]].shape;
  const set = readDataset(m.data, 'test', s[1], count);
  if (set.count === 0 || set.size !== s[1] || set.channels !== s[3]) throw new DataError(`${m.data} has no ${s[1]}x${s[1]}x${s[3]} test images; point --data at the model's data`);
  throwIfAborted(options.signal);
  const per = s[1] * s[2] * s[3], images = int8Inputs(g, set.pixels, set.count);
  const c = compileGraph(g, null);
  const r = runM7(c.files, images, per, g.tensors[g.outputs[0]].shape.at(-1)!);
  const { equal, correct } = scoreOutputs(g, images, r.outputs, set.labels);
  const ipt = r.instructionsPerTick, perImage = Math.round((r.totalTicks * ipt) / images.length);
  const layers = c.program.layers.map((l, i) => ({ index: i, kind: l.kind, name: l.name, instructions: Math.round(((r.layerTicks[i] ?? 0) * ipt) / images.length) }));
  if (equal === images.length) {
    saveEmulation(m.bytes, { date: new Date().toISOString().slice(0, 10), images: images.length, bitExact: equal, instructionsPerImage: perImage,
      arenaBytes: c.plan.bytes, stackBytes: r.stackBytes, flashBytes: r.flashBytes, layers });
  }
  return {
    model: m.name, target, board: 'QEMU mps2-an500 (Cortex-M7), -icount shift=0', images: images.length, bitExact: equal, top1: correct,
    instructionsPerImage: perImage, instructionsPerTick: ipt, latencyMsAt600MHzOneIpc: perImage / 600e3,
    flashBytes: r.flashBytes, arenaBytes: c.plan.bytes, stackBytes: r.stackBytes, inputBytes: per, layers,
    note: ipt === INSTRUCTIONS_PER_TICK ? 'instruction counts on an emulator (SysTick ticks x instructions per tick), not cycles measured on a board'
      : `the calibration loop measured ${ipt} instructions per SysTick tick, not the expected ${INSTRUCTIONS_PER_TICK}`,
    data: m.data,
  };
}

export interface DeployOptions extends QuantizeOptions {
  /** 'imxrt1060' */
  target: string;
  /** the folder to write */
  out: string;
  /** 'tflite-micro' (an MCUXpresso eIQ TensorFlow Lite Micro folder, default) or 'cmv3' (cmv3's own C) */
  runtime?: 'tflite-micro' | 'cmv3';
  /** replace `out` when it holds an earlier deploy folder */
  force?: boolean;
}

/** What `deploy` wrote: the folder's files and the figures a board will see. */
export interface DeployResult {
  out: string; target: string; runtime: 'tflite-micro' | 'cmv3'; files: string[];
  /** the embedded test image and the label cmv3's int8 engine gives it */
  image: string; expected: { label: string; index: number; score?: number };
  imageLabel: string | null;
  calibration: Calibration;
  /** tflite-micro: the model's bytes, its op types, the arena and the latency estimate */
  modelBytes?: number; ops?: string[];
  arena?: { plannedBytes: number; runtimeEstimateBytes: number; tensorArenaSize: number };
  latencyMsEstimate?: number;
  /** cmv3: layers and the static arena */
  layers?: number; arenaBytes?: number;
  /** remarks a user should read (arena beyond on-chip SRAM, Mish's int32 tables) */
  notes: string[];
}

/** A project folder for the board: MCUXpresso SDK eIQ TensorFlow Lite Micro (default) or cmv3's own C, with the model and a test image. */
export async function deploy(model: TrainedModel | string, options: DeployOptions): Promise<DeployResult> {
  const targetName = oneOf(options?.target, DEPLOY_TARGETS, 'target');
  const runtime = oneOf(options.runtime ?? 'tflite-micro', ['tflite-micro', 'cmv3'] as const, 'runtime');
  if (typeof options.out !== 'string' || !options.out) throw new OptionError('Expected an output folder for out');
  const force = options.force === true, out = options.out, target = TARGETS[targetName];
  checkOut(out, force, DEPLOY_MARKERS, 'deploy'); // fail before the minutes of loading and calibrating
  const t = await asTrained(model);
  const q = calibrationOf(options, typeof model === 'string' ? model : t.runDir ?? undefined);
  const bytes = writeTflite(int8Graph(t, { ...q, onImage: progressTicker('calibrate', options) }));
  const problems = checkTfliteRules(bytes);
  if (problems.length) throw new Error(`the written model breaks a TFLite rule (a cmv3 bug): ${problems[0]}`);
  const graph = readTflite(bytes); // what the board reads: float32 scales, the file's op list
  const s = t.model.spec;
  const { image, note } = testImage(q.data, s.inputSize, s.inputChannels, t.labels);
  const input = {
    graph, modelBytes: bytes, target, image, name: basename(t.runDir ?? t.checkpoint).replace(/\.ckpt$/, ''),
    provenance: [`checkpoint: ${t.checkpoint}`, `calibration: first ${q.calibration} training images of ${q.data} (${q.observer} observer)`],
  };
  const base = { out, target: target.name, runtime, image: note, imageLabel: image?.label ?? null, calibration: q };
  if (runtime === 'cmv3') {
    const c = compileGraph(graph, image);
    const pixels = image ?? { pixels: new Uint8Array(s.inputSize * s.inputSize * s.inputChannels).fill(128), source: note };
    const files = mcuxProject(c, { modelName: input.name, provenance: input.provenance, image: pixels });
    writeFolder(out, files, force, DEPLOY_MARKERS, 'deploy');
    return { ...base, files: Object.keys(files).sort(), layers: c.program.layers.length, arenaBytes: c.plan.bytes, expected: c.expected, notes: [] };
  }
  const files = eiqProject(input), f = eiqFacts(input);
  writeFolder(out, files, force, DEPLOY_MARKERS, 'deploy');
  const notes: string[] = [];
  if (f.tensorArenaSize > target.sramBytes) notes.push(`the arena exceeds the ${target.sramBytes / 1024} KB of on-chip SRAM; the README says how to place it in SDRAM`);
  // The int8 Mish tables hold int32 indices; ReLU6 fuses into the convolution (README: "Mish on a microcontroller").
  if (graph.tensors.some((x) => x.dtype === 'int32' && !x.data)) notes.push(`the int8 Mish tables need int32 index tensors; for a smaller arena fine-tune with ReLU6 in Mish's place: cmv3 train --init ${typeof model === 'string' ? model : t.checkpoint} --act mish=relu6 (for cmv3 width 0.5 the shipped cmv3-w0.5-relu6-cifar10 is that model)`);
  return {
    ...base, files: Object.keys(files).sort(), modelBytes: bytes.length, ops: f.ops,
    arena: { plannedBytes: f.plannedArena, runtimeEstimateBytes: f.runtimeEstimate, tensorArenaSize: f.tensorArenaSize },
    latencyMsEstimate: f.report.latencyMs, expected: f.expected, notes,
  };
}

/** TFLite Micro's arena margin cmv3 adds to the planned arena, bytes. */
export { ARENA_MARGIN };
