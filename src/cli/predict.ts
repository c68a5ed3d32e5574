// cmv3 predict <run|checkpoint> <image>... [--top K] [--json]
import { assembleBatch, NO_AUGMENT } from '../data/augment.js';
import { readImage, resizeTo } from '../data/image.js';
import { softmax } from '../train/evaluate.js';
import { loadPredictor } from '../deploy/load.js';
import { numberOption, parse, positiveInt, UsageError } from './args.js';

export const PREDICT_USAGE = 'usage: cmv3 predict <run|checkpoint|model.tflite> <image.png|jpg>... [--top K] [--json]';

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { top: { type: 'string' }, json: { type: 'boolean' } }, PREDICT_USAGE);
  if (values.help) { console.log(PREDICT_USAGE); return; }
  if (positionals.length < 2) throw new UsageError(`Expected a run or checkpoint and at least one image but received ${positionals.length} argument(s)\n${PREDICT_USAGE}`);
  const [source, ...images] = positionals;
  const decoded = images.map((p) => ({ path: p, img: readImage(p) })); // fail on a bad image before loading the model
  const t = await loadPredictor(source);
  const s = t.predictor.spec, k = Math.min(numberOption(values.top, 'top', positiveInt, 'a positive integer') ?? 3, s.classes);
  if (s.inputChannels !== 3) throw new UsageError(`predict reads RGB images, but this model takes ${s.inputChannels} channels`);
  const per = s.inputSize * s.inputSize * 3;
  const results = decoded.map(({ path, img }) => {
    const pixels = resizeTo(img, s.inputSize);
    const x = new Float32Array(per), lab = new Int32Array(1);
    assembleBatch(pixels, new Uint8Array(1), [0], s.inputSize, 3, NO_AUGMENT, t.normalization, 0, x, lab);
    const out = t.predictor.forward(x, 1, false);
    const p = t.predictor.probabilities ? Array.from(out) : softmax(out);
    const top = p.map((prob, i) => ({ label: t.labels[i], index: i, probability: prob })).sort((a, b) => b.probability - a.probability).slice(0, k);
    return { image: path, width: img.width, height: img.height, top };
  });
  if (values.json) {
    console.log(JSON.stringify(results));
    return;
  }
  for (const r of results) {
    console.log(`${r.image} (${r.width}x${r.height}):`);
    for (const c of r.top) console.log(`  ${c.label.padEnd(12)} ${(100 * c.probability).toFixed(2).padStart(6)}%`);
  }
}
