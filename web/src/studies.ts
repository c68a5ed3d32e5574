// Studies: the list, and one study's Pareto scatter (accuracy against the cost the user picks),
// each point showing its candidate on hover and opening its model on click.
import type { StudyDetail, StudyEntry, StudyTrial } from '../../src/serve/studies.js';
import { scatterChart, type Point } from './charts.js';
import { api, clear, h, int, kb, pct } from './dom.js';
import { sortableTable, td } from './table.js';

const AXES: Record<string, { label: string; value: (t: StudyTrial) => number; fmt: (v: number) => string }> = {
  flash: { label: 'int8 .tflite (KB)', value: (t) => t.cost!.int8Bytes / 1024, fmt: (v) => `${v.toFixed(1)} KB` },
  sram: { label: 'planned arena (KB)', value: (t) => t.cost!.arenaBytes / 1024, fmt: (v) => `${v.toFixed(1)} KB` },
  macs: { label: 'MACs (millions)', value: (t) => t.cost!.macs / 1e6, fmt: (v) => `${v.toFixed(1)} M` },
  latency: { label: 'estimated latency (ms)', value: (t) => t.cost!.latencyMs, fmt: (v) => `${v.toFixed(1)} ms` },
  params: { label: 'parameters (thousands)', value: (t) => t.cost!.params / 1000, fmt: (v) => `${v.toFixed(1)} k` },
};

export async function studiesView(root: HTMLElement): Promise<void> {
  const studies = await api<StudyEntry[]>('/api/studies');
  clear(root, h('h2', {}, 'Studies'), studies.length ? h('table', { class: 'list', 'data-testid': 'studies' },
    h('thead', {}, h('tr', {}, ...['study', 'space', 'strategy', 'state', 'trials done', 'running', 'rejected', 'hours'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...studies.map((st) => st.error
      ? h('tr', {}, h('td', {}, st.name), h('td', { colspan: 7, class: 'error' }, st.error))
      : h('tr', {}, h('td', {}, h('a', { href: `#/studies/${encodeURIComponent(st.name)}` }, st.name)), h('td', {}, st.space), h('td', {}, st.strategy), h('td', {}, st.state),
        h('td', {}, st.counts!.done), h('td', {}, st.counts!.running), h('td', {}, st.counts!.rejected), h('td', {}, (st.spentSeconds! / 3600).toFixed(2)))))) :
    h('p', {}, 'No studies in this folder yet. Start one with ', h('code', {}, 'cmv3 explore --space paper-widths --out studies/NAME'), '.'));
}

export async function studyView(root: HTMLElement, name: string, axis: string, rung?: number): Promise<void> {
  let d = await api<StudyDetail>(`/api/studies/${encodeURIComponent(name)}${rung === undefined ? '' : `?rung=${rung}`}`);
  if (rung === undefined) {
    // Open on the rung with the most finished trials (the widest picture), not the top rung's few.
    const count = (r: number) => d.trials.filter((t) => t.rung === r && t.status === 'done').length;
    const most = d.rungs.map((_, r) => r).reduce((a, r) => (count(r) > count(a) ? r : a), d.rung);
    if (most !== d.rung) d = await api<StudyDetail>(`/api/studies/${encodeURIComponent(name)}?rung=${most}`);
  }
  const ax = AXES[axis] ? axis : 'flash';
  const done = d.trials.filter((t) => t.status === 'done' && t.rung === d.rung && t.metrics && t.cost);
  const info = h('div', { class: 'hover', 'data-testid': 'hover' }, 'Hover a point to see its candidate; click it to open its model.');
  const show = (p: Point | null) => {
    const t = p && done.find((x) => x.id === p.id);
    clear(info, t ? h('span', {}, h('b', {}, `#${t.id} ${t.label}`), ` — ${pct(t.metrics!.valAcc)} validation, ${pct(t.metrics!.testAcc)} test`,
      t.metrics!.int8Acc === undefined ? '' : `, ${pct(t.metrics!.int8Acc)} int8 (${t.metrics!.int8Images} images)`,
      `; ${int(t.cost!.params)} params, ${kb(t.cost!.int8Bytes)} int8, ${kb(t.cost!.arenaBytes)} arena, ${(t.cost!.macs / 1e6).toFixed(1)} MMACs, ~${t.cost!.latencyMs.toFixed(1)} ms est.`)
      : 'Hover a point to see its candidate; click it to open its model.');
  };
  // The front drawn is the one of this plot (accuracy up, the chosen cost down), not the study's own over all its objectives.
  const xy = done.map((t) => [AXES[ax].value(t), t.metrics!.valAcc] as const);
  const onFront = (i: number) => !xy.some(([x, y], j) => j !== i && x <= xy[i][0] && y >= xy[i][1] && (x < xy[i][0] || y > xy[i][1]));
  const pts: Point[] = done.map((t, i) => ({ x: xy[i][0], y: 100 * xy[i][1], id: t.id, front: onFront(i), label: `#${t.id} ${t.label}` }));
  const go = (a: string, r: number) => { location.hash = `#/studies/${encodeURIComponent(name)}/${a}/${r}`; };
  const axisPick = h('select', { 'aria-label': 'x axis', 'data-testid': 'axis', onchange: (e) => go((e.target as HTMLSelectElement).value, d.rung) },
    ...Object.entries(AXES).map(([k, v]) => h('option', { value: k, selected: k === ax }, v.label)));
  const rungPick = h('select', { 'aria-label': 'rung', onchange: (e) => go(ax, Number((e.target as HTMLSelectElement).value)) },
    ...d.rungs.map((r, i) => h('option', { value: i, selected: i === d.rung }, `rung ${i}: ${r.epochs} epoch${r.epochs === 1 ? "" : "s"} x ${r.trainImages} images`)));
  const c = d.counts!;
  clear(root, h('h2', {}, 'Study ', h('code', {}, name)),
    h('p', {}, `${d.space}, ${d.strategy}, ${d.state}: ${c.done} trials done, ${c.running} running, ${c.pending} queued, ${c.rejected} rejected (over a limit, never trained), ${c.failed} failed; ${(d.spentSeconds! / 3600).toFixed(2)} h spent. Objectives: ${d.objectives.join(', ')}.`),
    h('div', { class: 'controls' }, h('label', {}, 'x axis ', axisPick), ' ', h('label', {}, 'fidelity ', rungPick)),
    done.length
      ? h('div', { 'data-testid': 'scatter' }, scatterChart(`validation accuracy vs ${AXES[ax].label}`, AXES[ax].label, 'validation top-1 (%)', pts, show,
        (p) => { location.hash = `#/models/${encodeURIComponent(`trial:${name}:${p.id}`)}`; }))
      : h('p', {}, 'No trial has finished at this fidelity yet.'),
    info,
    h('p', { class: 'note' }, 'Green: the front of this plot. Shaded rows: the study\'s front over all its objectives (', d.objectives.join(', '), ').'),
    h('h3', {}, 'Trials at this fidelity'),
    sortableTable<StudyTrial>([
      { name: 'id', key: (t) => t.id, cell: (t) => td(t.status === 'done' ? h('a', { href: `#/models/${encodeURIComponent(`trial:${name}:${t.id}`)}` }, `#${t.id}`) : `#${t.id}`) },
      { name: 'candidate', key: (t) => t.label, cell: (t) => h('td', { class: 'name' }, t.label) },
      { name: 'status', key: (t) => t.status, cell: (t) => td(t.status) },
      { name: 'validation', key: (t) => t.metrics?.valAcc, cell: (t) => td(pct(t.metrics?.valAcc)) },
      { name: 'test', key: (t) => t.metrics?.testAcc, cell: (t) => td(pct(t.metrics?.testAcc)) },
      { name: 'int8', key: (t) => t.metrics?.int8Acc, cell: (t) => td(pct(t.metrics?.int8Acc)) },
      { name: AXES[ax].label, key: (t) => (t.cost ? AXES[ax].value(t) : null), cell: (t) => td(t.cost ? AXES[ax].fmt(AXES[ax].value(t)) : '-') },
      // Why a candidate was never trained (over a limit) or failed, in full: the reason is the point of the row.
      { name: 'reason (rejected or failed)', key: (t) => t.error ?? null, cell: (t) => h('td', { class: 'reason' }, t.error ?? '') },
      { name: 'export', key: () => null, cell: (t) => td(t.status === 'done' ? h('a', { href: `/api/models/tflite?id=${encodeURIComponent(`trial:${name}:${t.id}`)}`, download: `trial-${t.id}.tflite`, 'data-testid': 'export' }, 'float32 .tflite') : '') },
    ], d.trials.filter((t) => t.rung === d.rung), { testid: 'trials', rowClass: (t) => (d.front.includes(t.id) ? 'on-front' : ''), filter: (t) => `${t.id} ${t.label} ${t.status} ${t.error ?? ''}` }),
    h('p', { class: 'note' }, 'int8 files: ', h('code', {}, `cmv3 export studies/${name}/trials/NNNN --format tflite --int8 -o model.tflite`), ' (needs the trial folder and its training data).'));
}
