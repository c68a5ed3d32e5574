// A table whose headers sort it (click again to reverse) and, optionally, a filter box over the
// rows' text. Used by the runs list and a study's trials.
import { h } from './dom.js';

export interface Column<T> {
  name: string;
  /** the sort key; rows without one sort last */
  key: (row: T) => number | string | null | undefined;
  cell: (row: T) => HTMLTableCellElement;
}

export function sortableTable<T>(columns: Column<T>[], rows: T[], o: { testid: string; rowClass?: (row: T) => string; filter?: (row: T) => string; initial?: { column: number; descending: boolean } }): HTMLElement {
  let sortBy = o.initial?.column ?? -1, descending = o.initial?.descending ?? false, query = '';
  const tbody = h('tbody');
  const heads = columns.map((c, i) => h('th', { class: 'sortable', tabindex: 0, title: 'sort by this column', onclick: () => sort(i), onkeydown: (e) => { if ((e as KeyboardEvent).key === 'Enter') sort(i); } }, c.name));
  const sort = (i: number) => {
    descending = sortBy === i ? !descending : false;
    sortBy = i;
    draw();
  };
  const draw = () => {
    heads.forEach((th, i) => th.setAttribute('aria-sort', i === sortBy ? (descending ? 'descending' : 'ascending') : 'none'));
    let shown = rows.filter((r) => !query || (o.filter?.(r) ?? '').toLowerCase().includes(query));
    if (sortBy >= 0) {
      const key = columns[sortBy].key;
      shown = [...shown].sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
        return descending ? -c : c;
      });
    }
    tbody.replaceChildren(...shown.map((r) => h('tr', { class: o.rowClass?.(r) ?? '' }, ...columns.map((c) => c.cell(r)))));
  };
  draw();
  const table = h('table', { class: 'list', 'data-testid': o.testid }, h('thead', {}, h('tr', {}, ...heads)), tbody);
  if (!o.filter) return table;
  const box = h('input', { type: 'search', placeholder: 'filter', 'aria-label': 'filter rows', 'data-testid': `${o.testid}-filter`, oninput: (e) => { query = (e.target as HTMLInputElement).value.trim().toLowerCase(); draw(); } });
  return h('div', {}, box, table);
}

export const td = (...children: (Node | string | number)[]) => h('td', {}, ...children);
