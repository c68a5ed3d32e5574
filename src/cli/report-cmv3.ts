// cmv3 report --runtime cmv3: the figures of cmv3's own C (cmv3 compile) for a model: the arena of
// its static plan (exact), instructions per layer from the fitted rates (src/compile/cost.ts, an
// estimate), and beside them what `cmv3 emulate` measured for the same model, when it has run.
import { compileGraph } from '../compile/compile.js';
import { CMV3_RATES, estimate, layerWork } from '../compile/cost.js';
import { loadEmulation } from '../compile/emulation-cache.js';
import type { Target } from '../deploy/report.js';
import type { Int8Model } from '../api/int8-model.js';

const n = (v: number) => Math.round(v).toLocaleString('en-US');

export function reportCmv3(m: Int8Model, target: Target, json: boolean): void {
  const c = compileGraph(m.graph, null), measured = loadEmulation(m.bytes);
  const layers = c.program.layers.map((l, i) => ({
    index: i, kind: l.kind, name: l.name, estimatedInstructions: Math.round(estimate(layerWork(l, c.program), CMV3_RATES)),
    measuredInstructions: measured?.layers[i]?.instructions ?? null,
  }));
  const est = layers.reduce((a, l) => a + l.estimatedInstructions, 0);
  const ms = (instructions: number) => instructions / (target.mhz * 1e3);
  const r = {
    model: m.name, runtime: 'cmv3', target: target.name, layers, arenaBytes: c.plan.bytes,
    instructions: { estimate: est, measured: measured?.instructionsPerImage ?? null },
    latencyMs: { estimate: ms(est), fromMeasured: measured ? ms(measured.instructionsPerImage) : null },
    stackBytes: measured?.stackBytes ?? null, flashBytes: measured?.flashBytes ?? null,
    emulation: measured ? { date: measured.date, images: measured.images, bitExact: measured.bitExact } : null,
    assumptions: [
      'instructions: work counts x rates fitted to instruction counts measured on an emulated Cortex-M7 (npm run bench:emulate); an estimate for this model unless measured',
      `latency: instructions at one per cycle (an assumption: the M7 can issue two; memory stalls add) and ${target.mhz} MHz`,
      'arena: the static plan cmv3 compile writes (exact); the caller\'s input buffer is not in it',
    ],
  };
  if (json) { console.log(JSON.stringify(r)); return; }
  console.log(`${m.name} as cmv3's own C (cmv3 compile) on ${target.description}`);
  console.log('layer  kind      est. instructions  measured  what');
  for (const l of layers) console.log(`${String(l.index).padStart(5)}  ${l.kind.padEnd(8)}  ${n(l.estimatedInstructions).padStart(17)}  ${(l.measuredInstructions === null ? '-' : n(l.measuredInstructions)).padStart(10)}  ${l.name}`);
  console.log(`\ninstructions per image: ~${n(est)} (estimate)${measured ? `; measured ${n(measured.instructionsPerImage)} by cmv3 emulate on ${measured.date} (${measured.images} images, an emulator's count)` : '; run cmv3 emulate to measure'}`);
  console.log(`latency: ~${ms(est).toFixed(1)} ms at ${target.mhz} MHz and one instruction per cycle (an estimate)${measured ? `; ${ms(measured.instructionsPerImage).toFixed(1)} ms from the measured count` : ''}`);
  console.log(`SRAM: arena ${n(c.plan.bytes)} bytes (planned, exact)${measured ? ` + stack ${n(measured.stackBytes)} bytes (measured)` : '; stack: run cmv3 emulate'}`);
  console.log(`flash: ${measured ? `${n(measured.flashBytes)} bytes (model + kernels, measured from the objects)` : 'run cmv3 emulate to measure (model + kernels)'}`);
}
