// Try it: pick or drop images; the model's float32 .tflite and its int8 .tflite (fetched again only
// when the checkpoint changes) classify them in the page with our TypeScript engines over the files'
// graphs, side by side. Then, as a separate check, the first image is sent to the server, which
// runs `cmv3 predict`'s path on it.
import { rgbaToRgb, type RgbImage } from '../../src/data/pixels.js';
import { topClasses, type ClassScore } from '../../src/deploy/classify.js';
import { GraphModel, graphInfo } from '../../src/deploy/graph-model.js';
import { readTflite } from '../../src/deploy/tflite/read.js';
import type { ModelEntry } from '../../src/serve/models.js';
import { api, clear, errorBox, h, pct } from './dom.js';

interface Loaded { model: GraphModel; labels: string[]; normalization: ReturnType<typeof graphInfo>['normalization']; bytes: number }
const models = new Map<string, { etag: string; loaded: Loaded }>();

/** The model's float32 (or int8) .tflite, parsed once per version of its checkpoint (the server's ETag says when it changed). */
async function loadModel(id: string, int8 = false): Promise<Loaded> {
  const key = `${id}${int8 ? ':int8' : ''}`, known = models.get(key);
  const r = await fetch(`/api/models/tflite?id=${encodeURIComponent(id)}${int8 ? '&int8=1' : ''}`, { cache: 'no-store', headers: known ? { 'if-none-match': known.etag } : {} });
  if (r.status === 304 && known) return known.loaded;
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  const bytes = new Uint8Array(await r.arrayBuffer()), g = readTflite(bytes), info = graphInfo(g);
  const loaded = { model: new GraphModel(g), labels: info.labels, normalization: info.normalization, bytes: bytes.byteLength };
  models.set(key, { etag: r.headers.get('etag') ?? '', loaded });
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
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg', multiple: true, 'data-testid': 'try-file' });
  const drop = h('div', { class: 'drop', 'data-testid': 'drop' }, 'Drop PNG or JPEG images here, or ', input);
  const preview = h('div', { class: 'preview' }), out = h('div', { 'data-testid': 'try-result' }), check = h('div', { 'data-testid': 'try-check' });
  const many = h('div', { 'data-testid': 'try-many' });
  clear(root, h('h2', {}, 'Try it'), ids.length ? h('div', {}, h('label', {}, 'model ', pick), drop, h('div', { class: 'try' }, preview, h('div', {}, out, check)), many)
    : h('p', {}, 'No model to try: train one or install the pretrained weights.'));
  let busy = Promise.resolve();
  const classify = (files: File[]) => { busy = busy.then(() => run(files[0])).then(() => table(files)); };
  /** Every image of a pick or drop: float32 and int8 top-1 side by side (the int8 file is calibrated by the server). */
  async function table(files: File[]): Promise<void> {
    if (files.length < 2) { clear(many); return; }
    clear(many, h('p', {}, `Classifying ${files.length} images…`));
    try {
      const id = pick.value, m = await loadModel(id), q = await loadModel(id, true).catch((err: Error) => err);
      const rows = [];
      for (const f of files) {
        const img = await decode(f), a = topClasses(m.model, m.labels, m.normalization, img, 1)[0];
        const b = q instanceof Error ? null : topClasses(q.model, q.labels, q.normalization, img, 1)[0];
        rows.push(h('tr', {}, h('td', {}, f.name), h('td', {}, `${a.label} (${pct(a.probability)})`), h('td', { class: b && b.label !== a.label ? 'warn' : '' }, b ? `${b.label} (${pct(b.probability)})` : '-')));
      }
      clear(many, h('h3', {}, `${files.length} images`), h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', {}, 'image'), h('th', {}, 'float32 top-1'), h('th', {}, 'int8 top-1'))), h('tbody', {}, ...rows)),
        q instanceof Error ? h('p', { class: 'note' }, `int8: ${q.message}`) : '');
    } catch (err) {
      clear(many, errorBox(err));
    }
  }
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
        const q = await loadModel(id, true), top8 = topClasses(q.model, q.labels, q.normalization, img, 1)[0];
        out.append(h('p', { 'data-testid': 'try-int8', 'data-label': top8.label }, `int8 .tflite in this browser (${(q.bytes / 1024).toFixed(1)} KB, calibrated on 100 training images by the server): `,
          h('b', {}, top8.label), ` (${pct(top8.probability)})${top8.label === top[0].label ? ', as float32' : ', unlike float32'}`));
      } catch (err) {
        out.append(h('p', { class: 'note' }, `int8: ${(err as Error).message}`));
      }
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
  input.addEventListener('change', () => { if (input.files?.length) classify([...input.files]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    const fs = [...(e.dataTransfer?.files ?? [])];
    if (fs.length) classify(fs);
  });
}
