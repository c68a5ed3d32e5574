// Real TensorFlow Lite for tests: the WASM build inside @tensorflow/tfjs-tflite, loaded under Node
// without tfjs. The Emscripten glue is a browser script, so it runs in a vm context that has just
// what it touches; with `wasmBinary` given it never fetches. The module is loaded once per process.
//
// Measured with this build (0.0.1-alpha.10, tflite_web_api_cc_simd): every interpreter applies the
// XNNPACK delegate ("Created TensorFlow Lite XNNPACK delegate for CPU") and the options
// ({numThreads, enableProfiling, maxProfilingBufferEntries}, the only three the wasm registers)
// cannot turn it off. XNNPACK takes the nodes it supports; the rest run on TFLite's builtin
// kernels. With profiling on, profile() shows which: 'TfLiteXNNPackDelegate' vs e.g. 'GATHER'.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

export type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array;

export interface TensorInfo { name: string; dtype: string; shape: number[] }
export interface ProfileItem { nodeType: string; nodeName: string; nodeExecMs: number }

// The embind surface used here (see tfjs-tflite's tflite_web_api_client.js).
interface CppTensorInfo { name: string; dataType: string; shape: string; data(): TypedArray; delete(): void }
interface CppVector<T> { size(): number; get(i: number): T; delete(): void }
interface CppRunner {
  GetInputs(): CppVector<CppTensorInfo>;
  GetOutputs(): CppVector<CppTensorInfo>;
  Infer(): boolean;
  GetProfilingResults(): CppVector<ProfileItem>;
  delete(): void;
}
interface TfliteModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, o: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number }):
      { ok(): boolean; errorMessage(): string; value(): CppRunner; delete(): void };
  };
}

const ARRAY_OF_DTYPE: Record<string, new (a: ArrayLike<number>) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
  int16: Int16Array, int32: Int32Array, uint32: Uint32Array,
};

/** One loaded model. Not thread-safe; close() frees the WASM memory it holds. */
export class TfliteInterpreter {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private readonly cppIn: CppTensorInfo[];
  private readonly cppOut: CppTensorInfo[];

  constructor(private readonly runtime: TfliteRuntime, private readonly runner: CppRunner, private readonly modelPtr: number) {
    const take = (v: CppVector<CppTensorInfo>) => {
      try { return Array.from({ length: v.size() }, (_, i) => v.get(i)); } finally { v.delete(); }
    };
    this.cppIn = take(runner.GetInputs());
    this.cppOut = take(runner.GetOutputs());
    const info = (t: CppTensorInfo): TensorInfo => ({ name: t.name, dtype: t.dataType, shape: t.shape === '' ? [] : t.shape.split(',').map(Number) });
    this.inputs = this.cppIn.map(info);
    this.outputs = this.cppOut.map(info);
  }

  setInput(i: number, data: ArrayLike<number>): void {
    const dst = this.cppIn[i].data(); // a view into the WASM heap, valid until the heap grows
    if (dst.length !== data.length) throw new Error(`input ${i} takes ${dst.length} values, got ${data.length}`);
    dst.set(data);
  }

  invoke(): void {
    this.runtime.log.length = 0;
    if (!this.runner.Infer()) throw new Error(`TFLite inference failed: ${this.runtime.log.join(' | ')}`);
  }

  /** A copy of output i: the heap view would go stale, and it belongs to the vm context's realm
   *  (instanceof Float32Array would be false), so it is copied into one of ours. */
  output(i: number): TypedArray {
    const Ctor = ARRAY_OF_DTYPE[this.cppOut[i].dataType];
    if (!Ctor) throw new Error(`output ${i} has dtype ${this.cppOut[i].dataType}`);
    return new Ctor(this.cppOut[i].data());
  }

  /** Per-node timings of the last invoke (needs { profile: true }). */
  profile(): ProfileItem[] {
    const v = this.runner.GetProfilingResults();
    try {
      return Array.from({ length: v.size() }, (_, i) => ({ ...v.get(i) }));
    } finally { v.delete(); }
  }

  close(): void {
    for (const t of [...this.cppIn, ...this.cppOut]) t.delete();
    this.runner.delete();
    this.runtime.module._free(this.modelPtr);
  }
}

export class TfliteRuntime {
  /** What TFLite printed to stderr since the last call (its error messages land here). */
  readonly log: string[] = [];
  module!: TfliteModule;

  /** Loads a model; throws with TFLite's own complaint when it refuses the file. */
  interpreter(model: Uint8Array, opts: { profile?: boolean } = {}): TfliteInterpreter {
    const m = this.module;
    const ptr = m._malloc(model.length);
    m.HEAPU8.set(model, ptr);
    this.log.length = 0;
    const r = m.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
      numThreads: 1, enableProfiling: !!opts.profile, maxProfilingBufferEntries: 1024,
    });
    try {
      if (!r.ok()) {
        m._free(ptr);
        throw new Error(`TFLite refused the model: ${r.errorMessage()} ${this.log.join(' | ')}`.trim());
      }
      return new TfliteInterpreter(this, r.value(), ptr);
    } finally { r.delete(); }
  }

  /** Load, set every input, invoke once, copy every output, free. */
  run(model: Uint8Array, inputs: ArrayLike<number>[]): TypedArray[] {
    const it = this.interpreter(model);
    try {
      inputs.forEach((x, i) => it.setInput(i, x));
      it.invoke();
      return it.outputs.map((_, i) => it.output(i));
    } finally { it.close(); }
  }
}

let cached: Promise<TfliteRuntime> | undefined;

export function loadTfliteRuntime(): Promise<TfliteRuntime> {
  cached ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
    const source = readFileSync(join(dir, 'tflite_web_api_cc_simd.js'), 'utf8');
    const wasmBinary = readFileSync(join(dir, 'tflite_web_api_cc_simd.wasm'));
    // No window/self/process: the glue then takes its plain-shell path and asks for nothing else.
    const context = vm.createContext({ console, setTimeout, clearTimeout, WebAssembly, performance, TextDecoder, TextEncoder, URL });
    vm.runInContext(`${source}\n;globalThis.__factory = tflite_web_api_ModuleFactory;`, context, { filename: 'tflite_web_api_cc_simd.js' });
    const rt = new TfliteRuntime();
    const factory = context.__factory as (o: object) => Promise<TfliteModule>;
    rt.module = await factory({
      wasmBinary,
      print: (s: string) => rt.log.push(s),
      printErr: (s: string) => { if (!s.startsWith('INFO: Created TensorFlow Lite XNNPACK delegate')) rt.log.push(s); },
    });
    return rt;
  })();
  return cached;
}
