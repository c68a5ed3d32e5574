// cmv3 predict <run|checkpoint> <image>... [--top K] [--json]
import { DEFAULT_MAX_PIXELS, readImage } from '../data/image.js';
import { ClassifyError } from '../deploy/classify.js';
import { predictMany } from '../api/evaluate.js';
import { maxPixelsOption, numberOption, parse, positiveInt, UsageError } from './args.js';

export const PREDICT_USAGE = 'usage: cmv3 predict <run|checkpoint|model.tflite> <image.png|jpg>... [--top K] [--json] [--max-megapixels 16]';

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { top: { type: 'string' }, json: { type: 'boolean' }, 'max-megapixels': { type: 'string' } }, PREDICT_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length < 2) throw new UsageError(`Expected a run or checkpoint and at least one image but received ${positionals.length} argument(s)\n${PREDICT_USAGE}`);
  const [source, ...images] = positionals;
  const maxPixels = maxPixelsOption(values['max-megapixels'], DEFAULT_MAX_PIXELS);
  const decoded = images.map((p) => ({ path: p, img: readImage(p, maxPixels) })); // fail on a bad image before loading the model
  const k = numberOption(values.top, 'top', positiveInt, 'a positive integer') ?? 3;
  const tops = await predictMany(source, decoded.map((d) => d.img), { top: k }).catch((err: unknown) => {
    throw err instanceof ClassifyError ? new UsageError(`predict: ${err.message}`) : err;
  });
  const results = decoded.map(({ path, img }, i) => ({ image: path, width: img.width, height: img.height, top: tops[i] }));
  if (values.json) {
    console.log(JSON.stringify(results));
    return;
  }
  for (const r of results) {
    console.log(`${r.image} (${r.width}x${r.height}):`);
    for (const c of r.top) console.log(`  ${c.label.padEnd(12)} ${(100 * c.probability).toFixed(2).padStart(6)}%`);
  }
}
