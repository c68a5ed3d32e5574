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
import { INTERNAL_ERROR_LINE, isInternalError } from '../internal-error.js';

const USAGE = `usage: cmv3 <command> [options]

commands:
  summary <model|spec.json>   per-layer table and totals (params, MACs, bytes, peak activations)
  train --model cmv3 ...      train on CIFAR-10 into a run folder (--resume to continue one)
  eval <run|ckpt|.tflite>     test accuracy, per class, confusion matrix (--int8 to quantize first)
  predict <run|ckpt> <img>..  top-K classes of PNG/JPEG images
  data fetch cifar10          download and verify the CIFAR-10 binary archive
  export <run> --format F     .tflite (float32 or --int8) or C sources for TFLite Micro
  report <run|.tflite>        int8 flash, SRAM (arena plan) and estimated latency on an MCU
  deploy <run> -o DIR         MCUXpresso SDK eIQ TFLite Micro folder (--target imxrt1060)
  compile <run> -o DIR        interpreter-free C99 for a Cortex-M7, bit-exact with the int8 engine
  emulate <run>               that C on an emulated Cortex-M7: bit-exactness, instructions, memory
  explore --space NAME ...    design space exploration under MCU limits (show, --resume, spaces)
  serve [--port 8080]         local dashboard: runs, models, studies, in-browser classification

models: cmv3, mobilenetv3-small, or a spec .json (cmv3 summary cmv3 --dump-spec > my.json)
cmv3 <command> --help for a command's options`;

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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
  if (!run) throw new UsageError(`unknown command '${command}'; run cmv3 --help for the list`);
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
