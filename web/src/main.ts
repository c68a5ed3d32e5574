// The dashboard page: a hash router over four views. Each view draws into #view; a failure shows
// as one line in place of the view, and the navigation keeps working.
import { clear, errorBox } from './dom.js';
import { modelView, modelsView } from './models.js';
import { runsView, runView } from './runs.js';
import { studiesView, studyView } from './studies.js';
import { tryView } from './try.js';

const root = document.getElementById('view')!;
let leave: (() => void) | null = null;

let generation = 0;

async function route(): Promise<void> {
  leave?.(); leave = null;
  const mine = ++generation;
  // Each visit draws into its own container: a slow earlier view finishing late draws into a detached one.
  const view = document.createElement('div');
  clear(root, view);
  try {
    // The bare address (no hash, as `cmv3 serve` prints it) splits into [''], so the empty section is the runs view too.
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const [first, a, b, c] = parts;
    const section = first || 'runs';
    for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.getAttribute('href') === `#/${section}`);
    if (section === 'runs' && a) leave = runView(view, a);
    else if (section === 'runs') await runsView(view);
    else if (section === 'models' && a) await modelView(view, a, b ?? 'imxrt1060');
    else if (section === 'models') await modelsView(view);
    else if (section === 'studies' && a) await studyView(view, a, b ?? 'flash', c === undefined ? undefined : Number(c));
    else if (section === 'studies') await studiesView(view);
    else if (section === 'try') await tryView(view, a);
    else clear(view, errorBox(new Error(`no view ${location.hash}`)));
  } catch (err) {
    if (mine === generation) clear(view, errorBox(err));
  }
  if (mine === generation) document.body.dataset.ready = location.hash || '#/runs';
}

window.addEventListener('hashchange', () => void route());
void route();
