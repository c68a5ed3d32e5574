#!/usr/bin/env node
// The cmv3 command line: dispatch to a command, and turn every known error into one line + exit code.
import { readFileSync } from 'node:fs';
import { summaryCommand } from './summary.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';
import { dataCommand } from './data.js';
import { exportCommand } from './export.js';
import { reportCommand } from './report.js';
import { deployCommand } from './deploy.js';
import { compileCommand } from './compile.js';
import { emulateCommand } from './emulate.js';
import { exploreCommand } from './explore.js';
import { serveCommand } from './serve.js';
import { UsageError } from './args.js';
import { OptionError } from '../api/common.js';
import { didYouMean } from '../suggest.js';
import { INTERNAL_ERROR_LINE, isInternalError } from '../internal-error.js';

const USAGE = `usage: cmv3 <command> [options]

commands:
  summary <model|spec.json>   per-layer table and totals (params, MACs, bytes, peak activations)
  train --model cmv3 ...      train on CIFAR-10 into a run folder (--resume to continue one)
  eval <run|ckpt|.tflite>     test accuracy, per class, confusion matrix (--int8 to quantize first)
  predict <run|ckpt> <img>..  top-K classes of PNG/JPEG images
  data fetch cifar10          download and verify the CIFAR-10 binary archive
  export <run> --format F     .tflite (float32 or --int8), C sources for TFLite Micro, or ONNX (float32)
  report <run|.tflite>        int8 flash, SRAM (arena plan) and estimated latency on an MCU
  deploy <run> -o DIR         MCUXpresso SDK eIQ TFLite Micro folder (--target imxrt1060)
  compile <run> -o DIR        interpreter-free C99 for a Cortex-M7, bit-exact with the int8 engine
  emulate <run>               that C on an emulated Cortex-M7: bit-exactness, instructions, memory
  explore --space NAME ...    design space exploration under MCU limits (show, --resume, spaces)
  serve [--port 8080]         local dashboard: runs, models, studies, in-browser classification

models: cmv3, mobilenetv3-small, or a spec .json (cmv3 summary cmv3 --dump-spec > my.json)
cmv3 help <command> (or cmv3 <command> --help) for a command's options and their defaults
--quiet (-q) on any command: no progress lines (they are drawn only on a terminal anyway)`;

const COMMANDS: Record<string, (argv: string[]) => void | Promise<void>> = {
  summary: summaryCommand,
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
  data: dataCommand,
  export: exportCommand,
  report: reportCommand,
  deploy: deployCommand,
  compile: compileCommand,
  emulate: emulateCommand,
  explore: exploreCommand,
  serve: serveCommand,
};

async function main(all: string[]): Promise<number> {
  // --quiet / -q, anywhere: no progress lines (results and errors still print).
  const argv = all.filter((a) => a !== '--quiet' && a !== '-q');
  if (argv.length !== all.length) process.env.CMV3_QUIET = '1';
  const [command, ...rest] = argv;
  if (command === 'help' && rest.length) {
    const cmd = COMMANDS[rest[0]];
    if (!cmd) throw new UsageError(`unknown command '${rest[0]}'${didYouMean(rest[0], Object.keys(COMMANDS))} (cmv3 --help lists them)`);
    await cmd(['--help']);
    return 0;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}'${didYouMean(command, Object.keys(COMMANDS))} (cmv3 --help lists them)`);
  await run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode ??= code; }, // a command may have set its own (130 after Ctrl-C)
  (err: Error & { code?: string }) => {
    if (process.env.CMV3_DEBUG) console.error(err);
    else console.error(`cmv3: error: ${isInternalError(err) ? INTERNAL_ERROR_LINE : err.message}`);
    process.exitCode = err instanceof UsageError || err instanceof OptionError ? 2 : 1;
  },
);
