// Tiny DOM helpers: element building, number formats, and the API fetch with its one error format.

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(digits)}%`);
export const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
export const int = (n: number) => n.toLocaleString('en-US');

export class ApiError extends Error {}

/** GET (or POST a body to) the dashboard's API; a failure throws its one-line message. */
export async function api<T>(path: string, body?: Blob | ArrayBuffer): Promise<T> {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body });
  const data = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new ApiError((data as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  return data as T;
}

/** An error shown in place of what failed; the rest of the page keeps working. */
export const errorBox = (err: unknown) => h('p', { class: 'error', role: 'alert' }, (err as Error).message ?? String(err));

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}
