// What `cmv3 CMD --help` says about each option: one line of text and the default. Shared options
// (--data, --json, the quantization ones) are described once; a command's own entry wins. Test 40
// checks that every option every command accepts has a line here.

export interface OptionHelp {
  /** what the value is, for the synopsis: N, DIR, NAME... (none for a flag) */
  value?: string;
  text: string;
  default?: string;
}

const SHARED: Record<string, OptionHelp> = {
  data: { value: 'DIR', text: 'CIFAR-10 binary folder, or train/<class>/ and test/<class>/ image folders', default: "the run's own data, else $CMV3_DATA, else ./data/cifar-10-batches-bin" },
  json: { text: 'print one JSON object instead of the table' },
  int8: { text: 'quantize to full-integer int8 first (calibrated on training images)' },
  calibration: { value: 'N', text: 'calibration images: the first N training images of --data', default: '500' },
  observer: { value: 'NAME', text: 'how int8 ranges are chosen: minmax | percentile | mse', default: 'minmax' },
  runtime: { value: 'NAME', text: 'int8 arithmetic to mirror: reference (TFLite Micro) | builtin (TFLite) | xnnpack', default: 'reference' },
  target: { value: 'NAME', text: 'the microcontroller: imxrt1060 | stm32h7', default: 'imxrt1060' },
  out: { value: 'PATH', text: 'where to write' },
  force: { text: 'replace the output folder when it holds an earlier folder of this command' },
  threads: { value: 'T', text: 'compute threads', default: 'all cores' },
  seed: { value: 'S', text: 'random seed', default: '1' },
  help: { text: 'this help' },
  'max-megapixels': { value: 'M', text: 'refuse images larger than this (decoding cost)', default: '16' },
};

const COMMANDS: Record<string, Record<string, OptionHelp>> = {
  summary: {
    width: { value: 'W', text: 'width multiplier of a built-in network', default: "the network's (1)" },
    input: { value: 'PX', text: 'input size in pixels', default: '32' },
    classes: { value: 'N', text: 'number of classes', default: '10' },
    'dump-spec': { text: 'print the network spec as JSON (edit it and pass the file as a model)' },
    'dump-graph': { text: 'print the layer graph as JSON' },
  },
  train: {
    data: { value: 'DIR', text: 'CIFAR-10 binary folder, or train/<class>/ and test/<class>/ image folders', default: '$CMV3_DATA, else ./data/cifar-10-batches-bin' },
    model: { value: 'NAME', text: 'cmv3 | mobilenetv3-small | a spec .json', default: 'cmv3' },
    width: { value: 'W', text: 'width multiplier', default: "the network's (cmv3: 0.5)" },
    epochs: { value: 'N', text: 'epochs to train', default: "the recipe's (paper 100, fast 25)" },
    'batch-size': { value: 'B', text: 'images per step', default: "the recipe's (128)" },
    lr: { value: 'LR', text: 'peak learning rate', default: "the recipe's, scaled to the batch size" },
    recipe: { value: 'NAME', text: 'paper | fast (25 epochs, 90.6% for cmv3 width 0.5 in under an hour here)', default: 'paper' },
    cutout: { value: 'PX', text: 'cutout square size (0 turns it off)', default: "the recipe's" },
    out: { value: 'DIR', text: 'the run folder to create', default: 'runs/NAME-wWIDTH-DATE' },
    resume: { value: 'DIR', text: 'continue this run with its own settings' },
    'limit-train': { value: 'N', text: 'train on the first N training images only', default: 'all' },
    'limit-test': { value: 'N', text: 'evaluate on the first N test images only', default: 'all' },
    validation: { value: 'N', text: 'hold out the last N training images and evaluate (and keep best.ckpt) on them instead of the test set' },
    backend: { value: 'NAME', text: 'auto | onednn | reference', default: 'auto' },
    init: { value: 'RUN', text: 'fine-tune: start from these weights (run, checkpoint or pretrained name)' },
    act: { value: 'FROM=TO', text: 'swap an activation everywhere when fine-tuning, e.g. mish=relu6' },
    precision: { value: 'P', text: 'f32 | bf16 (the 1x1 convolutions in bfloat16, float32 elsewhere; needs AVX512_BF16)', default: 'f32' },
  },
  eval: {
    'limit-test': { value: 'N', text: 'evaluate on the first N test images only', default: 'all' },
    svg: { value: 'PATH', text: 'write the confusion matrix as SVG', default: "RUN/confusion.svg for a run folder, else none" },
    'per-tensor': { value: 'N', text: 'with --int8: also each int8 tensor\'s error against float32 on the first N test images (where accuracy is lost)' },
  },
  predict: {
    top: { value: 'K', text: 'classes to show per image', default: '3' },
  },
  data: {
    dir: { value: 'DIR', text: 'where to unpack', default: './data' },
    url: { value: 'URL', text: 'a mirror of the CIFAR-10 binary archive (with --md5)', default: 'the University of Toronto copy' },
    md5: { value: 'HEX', text: "the mirror's archive checksum" },
  },
  export: {
    storage: { value: 'URL', text: 'export a trial of a study on PostgreSQL (with --study and --trial) instead of a run folder' },
    study: { value: 'NAME', text: 'the study in the PostgreSQL storage' },
    trial: { value: 'N', text: 'the trial id, as cmv3 explore show prints it' },
    format: { value: 'F', text: 'tflite (one file) | c (a folder: model_data.h/.cc, labels.h) | onnx (float32, opset 14)' },
    out: { value: 'PATH', text: 'the file (tflite, onnx) or folder (c) to write' },
  },
  report: {
    runtime: { value: 'NAME', text: "tflite-micro | cmv3 (cmv3's own C: its exact arena, estimated instructions, cmv3 emulate's measurements)", default: 'tflite-micro' },
  },
  deploy: {
    target: { value: 'NAME', text: 'the board: imxrt1060' },
    out: { value: 'DIR', text: 'the folder to write' },
    runtime: { value: 'NAME', text: "tflite-micro (an MCUXpresso eIQ folder) | cmv3 (cmv3's own C, no interpreter)", default: 'tflite-micro' },
  },
  compile: {
    target: { value: 'NAME', text: 'cortex-m7' },
    out: { value: 'DIR', text: 'the folder to write' },
    runtime: { value: 'NAME', text: "only reference: compile is bit-exact with TFLite Micro's arithmetic", default: 'reference' },
  },
  emulate: {
    target: { value: 'NAME', text: 'cortex-m7' },
    images: { value: 'N', text: 'test images to run on the emulator', default: '10' },
    runtime: { value: 'NAME', text: "only reference: cmv3's C is bit-exact with TFLite Micro's arithmetic", default: 'reference' },
  },
  explore: {
    space: { value: 'NAME', text: 'a preset (cmv3 explore spaces) or a space .json' },
    out: { value: 'DIR', text: 'the study folder to create' },
    strategy: { value: 'NAME', text: 'grid | random | nsga2', default: 'grid up to 64 candidates, else nsga2' },
    init: { value: 'NAME', text: 'random | base (start from the base network and mutants of it)', default: 'random' },
    trials: { value: 'N', text: 'trials at rung 0', default: 'grid: min(candidates, 64); else 24' },
    population: { value: 'P', text: "NSGA-II's population", default: 'min(trials, 8)' },
    rungs: { value: 'LIST', text: "successive halving's fidelities, epochs x training images", default: '2x20000,8x45000' },
    eta: { value: 'E', text: 'the best 1/eta of a rung go on to the next', default: '3' },
    objectives: { value: 'LIST', text: 'accuracy plus any of flash, sram, latency, params, macs', default: 'accuracy,flash' },
    'max-flash': { value: 'SIZE', text: 'reject candidates whose int8 .tflite is larger, e.g. 256KB' },
    'max-arena': { value: 'SIZE', text: 'reject candidates whose planned tensor arena (SRAM) is larger, e.g. 160KB' },
    'max-latency': { value: 'MS', text: 'reject candidates slower than this on --target (estimated), e.g. 100ms' },
    'max-params': { value: 'N', text: 'reject candidates with more parameters' },
    budget: { value: 'TIME', text: 'stop after this much wall time in all, e.g. 2h30m; --resume with a larger total continues', default: 'none' },
    workers: { value: 'N', text: 'trials trained at once', default: '1' },
    threads: { value: 'T', text: 'threads per worker', default: 'cores / workers' },
    validation: { value: 'N', text: 'training images held out to rank candidates', default: '5000' },
    'limit-test': { value: 'N', text: 'test images for the final float32 figure of each trial', default: 'all' },
    'int8-images': { value: 'N', text: 'test images for the int8 figure (0 skips it)', default: '1000' },
    calibration: { value: 'N', text: 'calibration images for the int8 figure', default: '100' },
    'batch-size': { value: 'B', text: 'images per training step', default: '128' },
    resume: { value: 'DIR|URL', text: 'continue this study: its folder, or a PostgreSQL URL with --study' },
    'dump-space': { value: 'NAME', text: 'print a preset space as JSON' },
    storage: { value: 'URL', text: 'keep the study in PostgreSQL (postgresql://USER@HOST:PORT/DB, password from PGPASSWORD or ~/.pgpass) in Optuna\'s schema, shared with cmv3 explore worker on other machines; or sqlite:PATH', default: 'a study folder (--out)' },
    study: { value: 'NAME', text: 'the study\'s name in the PostgreSQL storage' },
    'work-dir': { value: 'DIR', text: "this process's trial run folders with a PostgreSQL storage", default: 'cmv3-work/STUDY' },
    'heartbeat-timeout': { value: 'S', text: 'seconds without a heartbeat after which a running trial goes to another worker (PostgreSQL)', default: '120' },
  },
  'explore worker': {
    storage: { value: 'URL', text: 'the PostgreSQL URL of the study (postgresql://USER@HOST:PORT/DB)' },
    study: { value: 'NAME', text: 'the study to work on' },
    data: { value: 'DIR', text: "this machine's CIFAR-10 folder", default: '$CMV3_DATA, else ./data/cifar-10-batches-bin' },
    'work-dir': { value: 'DIR', text: 'where trial run folders go on this machine', default: 'cmv3-work/STUDY' },
  },
  'explore migrate': {
    storage: { value: 'URL', text: 'the PostgreSQL URL to copy the study into' },
    study: { value: 'NAME', text: 'its name there', default: "the study folder's name" },
  },
  'explore show': {
    storage: { value: 'URL', text: 'read the study from PostgreSQL (with --study) instead of a folder' },
    study: { value: 'NAME', text: 'the study\'s name in the PostgreSQL storage' },
    rung: { value: 'R', text: 'the rung to show', default: 'the highest with finished trials' },
    all: { text: 'every trial, not only the Pareto front' },
    svg: { value: 'PATH', text: 'also write the front plot as SVG here' },
  },
  'explore candidate': {
    output: { value: 'PATH', text: "write the candidate's spec here", default: 'print it' },
  },
  serve: {
    port: { value: 'PORT', text: 'the port (0 picks a free one)', default: '8080' },
    host: { value: 'HOST', text: 'the address to bind', default: '127.0.0.1' },
    'allow-host': { value: 'NAME', text: 'also accept requests naming this host (repeatable; e.g. behind a reverse proxy)' },
    runs: { value: 'DIR', text: 'the runs folder', default: 'runs' },
    studies: { value: 'DIR', text: 'the studies folder', default: 'studies' },
    'max-upload': { value: 'SIZE', text: 'largest accepted upload', default: '8MB' },
  },
};

/** The help line of `name` for `command`, or undefined when there is none (a test fails on that). */
export function optionHelp(command: string, name: string): OptionHelp | undefined {
  return COMMANDS[command]?.[name] ?? SHARED[name];
}
