// Try it: pick or drop an image; the model's float32 .tflite (fetched again only when its checkpoint
// changes) classifies it in the page with our TypeScript engine over the file's graph. Then, as a
// separate check, the image is sent to the server, which runs `cmv3 predict`'s path on it.
import { rgbaToRgb, type RgbImage } from '../../src/data/pixels.js';
import { topClasses, type ClassScore } from '../../src/deploy/classify.js';
import { GraphModel, graphInfo } from '../../src/deploy/graph-model.js';
import { readTflite } from '../../src/deploy/tflite/read.js';
import type { ModelEntry } from '../../src/serve/models.js';
import { api, clear, errorBox, h, pct } from './dom.js';

interface Loaded { model: GraphModel; labels: string[]; normalization: ReturnType<typeof graphInfo>['normalization']; bytes: number }
const models = new Map<string, { etag: string; loaded: Loaded }>();

/** The model's float32 .tflite, parsed once per version of its checkpoint (the server's ETag says when it changed). */
async function loadModel(id: string): Promise<Loaded> {
  const known = models.get(id);
  const r = await fetch(`/api/models/tflite?id=${encodeURIComponent(id)}`, { cache: 'no-store', headers: known ? { 'if-none-match': known.etag } : {} });
  if (r.status === 304 && known) return known.loaded;
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  const bytes = new Uint8Array(await r.arrayBuffer()), g = readTflite(bytes), info = graphInfo(g);
  const loaded = { model: new GraphModel(g), labels: info.labels, normalization: info.normalization, bytes: bytes.byteLength };
  models.set(id, { etag: r.headers.get('etag') ?? '', loaded });
  return loaded;
}

/** The file's pixels as stored (no colour management), RGBA composited over white as cmv3 predict does. */
async function decode(file: Blob): Promise<RgbImage> {
  const bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bmp.width; c.height = bmp.height;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height, { colorSpace: 'srgb' }).data;
  return { width: bmp.width, height: bmp.height, data: rgbaToRgb(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), bmp.width, bmp.height) };
}

const bars = (top: ClassScore[]) => h('table', { class: 'top' }, ...top.map((c) => h('tr', {}, h('td', {}, c.label),
  h('td', { class: 'bar' }, h('span', { class: 'fill', style: `width:${(100 * c.probability).toFixed(1)}%` }), h('span', { class: 'num' }, pct(c.probability))))));

export async function tryView(root: HTMLElement, chosen?: string): Promise<void> {
  const list = await api<ModelEntry[]>('/api/models');
  const ids = list.map((m) => m.id);
  if (chosen && !ids.includes(chosen)) ids.unshift(chosen);
  const pick = h('select', { 'aria-label': 'model', 'data-testid': 'try-model' }, ...ids.map((id) => h('option', { value: id, selected: id === chosen }, id)));
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg', 'data-testid': 'try-file' });
  const drop = h('div', { class: 'drop', 'data-testid': 'drop' }, 'Drop a PNG or JPEG here, or ', input);
  const preview = h('div', { class: 'preview' }), out = h('div', { 'data-testid': 'try-result' }), check = h('div', { 'data-testid': 'try-check' });
  clear(root, h('h2', {}, 'Try it'), ids.length ? h('div', {}, h('label', {}, 'model ', pick), drop, h('div', { class: 'try' }, preview, h('div', {}, out, check)))
    : h('p', {}, 'No model to try: train one or install the pretrained weights.'));
  let busy = Promise.resolve();
  const classify = (file: File) => { busy = busy.then(() => run(file)); };
  async function run(file: File): Promise<void> {
    const id = pick.value;
    clear(out, h('p', {}, `Loading ${id} and classifying…`)); clear(check);
    const url = URL.createObjectURL(file);
    clear(preview, h('img', { src: url, alt: file.name, onload: () => URL.revokeObjectURL(url) }));
    try {
      const [m, img] = await Promise.all([loadModel(id), decode(file)]);
      const t0 = performance.now(), top = topClasses(m.model, m.labels, m.normalization, img, 5), ms = performance.now() - t0;
      clear(out, h('p', { 'data-testid': 'try-top1', 'data-label': top[0].label }, h('b', {}, top[0].label), ` (${pct(top[0].probability)})`),
        bars(top), h('p', { class: 'note' }, `in this browser: float32 .tflite (${(m.bytes / 1024).toFixed(1)} KB), ${img.width}x${img.height} image resized to ${m.model.spec.inputSize}x${m.model.spec.inputSize}, ${ms.toFixed(0)} ms`));
      try {
        const server = await api<{ top: ClassScore[] }>(`/api/predict?id=${encodeURIComponent(id)}&top=5`, file);
        const same = server.top[0].label === top[0].label;
        clear(check, h('p', { class: same ? 'ok' : 'warn', 'data-testid': 'try-server', 'data-label': server.top[0].label },
          same ? `cmv3 predict on the server agrees: ${server.top[0].label} (${pct(server.top[0].probability)})` : `cmv3 predict on the server says ${server.top[0].label} (${pct(server.top[0].probability)})`));
      } catch (err) {
        clear(check, errorBox(err));
      }
    } catch (err) {
      clear(out, errorBox(err));
    }
  }
  input.addEventListener('change', () => { if (input.files?.[0]) classify(input.files[0]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) classify(f);
  });
}
