// The int8 graph behind compile and emulate: an int8 .tflite as it is, or a run folder, checkpoint or
// pretrained name quantized as export --int8 does it, written and read back so the scales are the
// file's float32s (what a board reads).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { graphInfo } from '../deploy/graph-model.js';
import type { Graph } from '../deploy/ir.js';
import { int8Graph } from '../deploy/pipeline.js';
import { loadTfliteFile } from '../deploy/tflite-file.js';
import { readTflite } from '../deploy/tflite/read.js';
import { writeTflite } from '../deploy/tflite/write.js';
import { loadTrained } from '../train/trained.js';
import { dataDir } from '../data/default-dir.js';
import { OptionError, progressTicker } from './common.js';
import { calibrationOf, type QuantizeOptions } from './deploy.js';

export interface Int8Model {
  graph: Graph;
  /** the model as a .tflite (the file's own bytes for a file): what emulations are keyed by */
  bytes: Uint8Array;
  name: string;
  labels: string[];
  /** the data folder: calibration images came from it, test images come from it */
  data: string;
  provenance: string;
}

export async function loadInt8Model(src: string, o: QuantizeOptions = {}): Promise<Int8Model> {
  if (src.toLowerCase().endsWith('.tflite')) {
    const graph = loadTfliteFile(src), bytes = readFileSync(src);
    if (graph.tensors[graph.inputs[0]].dtype !== 'int8') throw new OptionError(`${src} is a float32 model; compile an int8 one (cmv3 export --int8) or the run it came from`);
    const info = graphInfo(graph);
    return { graph, bytes, name: basename(src).replace(/\.tflite$/i, ''), labels: info.labels, data: dataDir(o.data), provenance: `int8 file ${src}` };
  }
  const q = calibrationOf(o, src);
  const t = await loadTrained(src);
  const bytes = writeTflite(int8Graph(t, { ...q, onImage: progressTicker('calibrate', o) })), graph = readTflite(bytes);
  return {
    graph, bytes, name: basename(t.runDir ?? t.checkpoint).replace(/\.ckpt$/, ''), labels: t.labels, data: q.data,
    provenance: `checkpoint ${t.checkpoint}, calibrated on the first ${q.calibration} training images of ${q.data} (${q.observer} observer)`,
  };
}
