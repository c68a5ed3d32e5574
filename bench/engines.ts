// npm run bench:engines [-- --models cmv3-w0.5-cifar10,cmv3-w1.5-cifar10 --baseline DIR --rounds 2]
// The deployment engines' speed, one image at a time as `cmv3 eval` runs them: the int8 engine
// (TFLite Micro arithmetic, default kernels) on 100 training images after 10 warm-up images, and
// the float engine over the lowered graph (what calibration runs per image) on 10. --baseline DIR:
// another checkout, built (`npm run build`), e.g. `git worktree add DIR COMMIT`; its engines run
// in turn with this tree's, `--rounds` times, each in a fresh process. Needs the machine to itself.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { failer, parseOptions, type Fail } from './cli.js';

const { values } = parseOptions('bench:engines', {
  options: { models: { type: 'string', default: 'cmv3-w0.5-cifar10,cmv3-w1.5-cifar10' }, baseline: { type: 'string' }, rounds: { type: 'string', default: '2' }, root: { type: 'string' }, model: { type: 'string' } },
});
const fail: Fail = failer('bench:engines', 1);
const data = process.env.CMV3_DATA ?? '../shared/datasets/cifar-10-batches-bin';

if (values.root) {
  // One measurement in this process: the engines of the checkout at --root.
  const imp = (p: string) => import(resolve(values.root!, 'dist', p));
  const { calibrationImages, int8Graph } = await imp('src/deploy/pipeline.js');
  const { Int8Engine } = await imp('src/deploy/engine-int8.js');
  const { runFloat } = await imp('src/deploy/engine-float.js');
  const { lowerTrained } = await imp('src/deploy/from-model.js');
  const { loadTrained } = await imp('src/train/trained.js');
  const t = await loadTrained(values.model!);
  const engine = new Int8Engine(int8Graph(t, { data, calibration: 20, observer: 'minmax' })), images: Float32Array[] = calibrationImages(t, data, 110);
  for (const x of images.slice(0, 10)) engine.runFloat(x);
  let t0 = performance.now();
  for (const x of images.slice(10)) engine.runFloat(x);
  const int8 = (performance.now() - t0) / 100, lowered = lowerTrained(t);
  runFloat(lowered, images[0]);
  t0 = performance.now();
  for (const x of images.slice(0, 10)) runFloat(lowered, x);
  console.log(JSON.stringify({ int8, float: (performance.now() - t0) / 10 }));
} else {
  const here = fileURLToPath(new URL('..', import.meta.url)), self = fileURLToPath(import.meta.url);
  const trees = [...(values.baseline ? [['baseline', resolve(values.baseline)]] : []), ['this tree', resolve(here, '..')]];
  console.log('| tree | model | round | int8 engine, ms per image | float engine, ms per image |\n|---|---|---:|---:|---:|');
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const model of values.models!.split(',')) {
      for (const [label, root] of trees) {
        const r = spawnSync(process.execPath, [self, '--root', root, '--model', model], { encoding: 'utf8' });
        if (r.status !== 0) fail(`${label} (${root}) failed on ${model}: ${r.stderr.trim().split('\n').at(-1)}`);
        const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { int8: number; float: number };
        console.log(`| ${label} | ${model} | ${round} | ${m.int8.toFixed(2)} | ${m.float.toFixed(1)} |`);
      }
    }
  }
}
