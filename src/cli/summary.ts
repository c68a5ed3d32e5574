// cmv3 summary <model|spec.json> [--width W] [--input 32] [--classes 10] [--json] [--dump-spec]
import { referenceBackend } from '../backend/reference.js';
import { buildNetwork } from '../models/build.js';
import { resolveSpec } from '../models/registry.js';
import { formatSummary, summarize } from '../summary.js';
import { numberOption, parse, positive, positiveInt, UsageError } from './args.js';

export const SUMMARY_USAGE = 'usage: cmv3 summary <model|spec.json> [--width W] [--input 32] [--classes 10] [--json] [--dump-spec] [--dump-graph]';

export function summaryCommand(argv: string[]): void {
  const { values, positionals } = parse(argv, {
    width: { type: 'string' }, input: { type: 'string' }, classes: { type: 'string' },
    json: { type: 'boolean' }, 'dump-spec': { type: 'boolean' }, 'dump-graph': { type: 'boolean' },
  }, SUMMARY_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals.length !== 1) throw new UsageError(`Expected one model name or spec file but received ${positionals.length}\n${SUMMARY_USAGE}`);
  const spec = resolveSpec(positionals[0], {
    width: numberOption(values.width, 'width', positive, 'a positive number'),
    inputSize: numberOption(values.input, 'input', positiveInt, 'a positive integer'),
    classes: numberOption(values.classes, 'classes', positiveInt, 'a positive integer'),
  });
  if (values['dump-spec']) {
    console.log(JSON.stringify(spec, null, 2));
    return;
  }
  // Shapes and counts need no computation, so the reference backend serves (no native load).
  const net = buildNetwork(spec, { backend: referenceBackend });
  if (values['dump-graph']) {
    console.log(JSON.stringify(net.root.graph(), null, 1));
    return;
  }
  const sum = summarize(net);
  console.log(values.json ? JSON.stringify(sum) : formatSummary(sum));
}
