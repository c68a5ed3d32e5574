// The dashboard in headless Chromium (Debian's, driven by playwright-core): every view loads with
// no console error, a training run's curves grow while it trains, a study's plot has a point per
// trial, and an image dropped on the page gets the same top-1 class as `cmv3 predict`.
// Screenshots of each view go to test-output/71-serve-browser/ (or $CMV3_TEST_OUTPUT).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { readCifar } from '../src/data/cifar.js';
import { cifarOrSkip } from './helpers.js';
import { tinyCifarSpecFile } from './fixtures.js';
import { CLI, cli, fakeStudy, outputDir, pngOf, serve, tempDir } from './serve-helpers.js';

const CHROMIUM = process.env.CMV3_CHROMIUM ?? '/usr/bin/chromium';
const MODEL = 'cmv3-w0.5-relu6-cifar10';

test('71 the dashboard in a real browser', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CMV3_CHROMIUM)`);
    t.skip(`${CHROMIUM} not found (apt-get install chromium)`);
    return;
  }
  const shots = outputDir('71-serve-browser');
  const root = tempDir('cmv3-serve-ui-'), runs = join(root, 'runs'), studies = join(root, 'studies');
  mkdirSync(runs); mkdirSync(studies);
  const trials = await fakeStudy(join(studies, 'small'), 7);
  const spec = tinyCifarSpecFile(root);
  const server = await serve(['--runs', runs, '--studies', studies]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const errors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    const open = async (hash: string) => {
      await page.goto(`${server.url}${hash}`);
      await page.waitForFunction((h) => document.body.dataset.ready === h, hash);
    };

    // The front door: exactly the address `cmv3 serve` prints (no hash) opens the runs view.
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === '#/runs');
    const front = await page.locator('#view').innerText();
    assert.match(front, /Runs\s+No runs in this folder yet\. Start one with cmv3 train/, 'the runs view, empty here');
    assert.doesNotMatch(front, /no view/);
    await page.screenshot({ path: join(shots, 'front-door.png'), fullPage: true });
    assert.equal(await page.locator('nav a.active').getAttribute('href'), '#/runs');

    // Runs: a run trains while its page is open; the curves gain points epoch by epoch.
    const epochs = 5;
    const training = spawn(process.execPath, [CLI, 'train', '--model', spec, '--epochs', String(epochs), '--data', data, '--limit-train', '4096', '--limit-test', '200',
      '--batch-size', '32', '--out', join(runs, 'live')], { env: { ...process.env, CMV3_THREADS: '1' }, stdio: 'ignore' });
    const trained = new Promise<number | null>((r) => training.on('close', r));
    for (let i = 0; i < 600 && !existsSync(join(runs, 'live', 'config.json')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(join(runs, 'live', 'config.json')), 'the run started');
    await open('#/runs/live');
    const seen: number[] = [];
    let finishedAt = 0;
    void trained.then(() => { finishedAt = Date.now(); });
    // watch until the run has finished and the page shows every epoch, or 10 s after it finished
    for (const start = Date.now(); Date.now() - start < 300000;) {
      const n = Number(await page.locator('[data-testid=curves] svg').first().getAttribute('data-points', { timeout: 1000 }).catch(() => '0'));
      if (seen.at(-1) !== n) seen.push(n);
      if (finishedAt && (n === 2 * epochs || Date.now() - finishedAt > 10000)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await trained, 0, 'the run trained');
    assert.equal(seen.at(-1), 2 * epochs, `loss curve: train + test point per epoch (seen ${seen.join(', ')})`);
    assert.ok(seen.filter((n) => n > 0 && n < 2 * epochs).length >= 2, `the curves grew while the run trained (seen ${seen.join(', ')})`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'points only ever added');
    await page.waitForSelector('[data-testid=run-status].done');
    // the confusion matrix of the run's best checkpoint on its 200 test images
    await page.getByRole('button', { name: 'Evaluate on the test images' }).click();
    await page.locator('[data-testid=confusion]').waitFor({ timeout: 60000 });
    const cells = await page.locator('[data-testid=confusion] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, -1).map((c) => Number(c.textContent))));
    assert.equal(cells.length, 10);
    assert.equal(cells.flat().reduce((a, v) => a + v, 0), 200, 'every test image counted once');
    // a cell of the matrix opens its images
    await page.locator('[data-testid=confusion] td.cell').first().click();
    await page.locator('[data-testid=cell] .misclassified img').first().waitFor({ timeout: 30000 });
    // every thumbnail loads as a 32x32 PNG (waited for: they load after the list appears)
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=cell] .misclassified img')].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 32), null, { timeout: 30000 });
    assert.ok((await page.locator('[data-testid=curves] svg').count()) >= 4, 'loss, accuracy, learning rate and speed');
    await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });
    await open('#/runs');
    assert.match(await page.locator('[data-testid=runs]').innerText(), /live\s+tiny/);
    // sortable and filterable; a ticked run is drawn in the comparison
    await page.locator('[data-testid=runs] th', { hasText: 'best accuracy' }).click();
    assert.equal(await page.locator('[data-testid=runs] th[aria-sort=ascending]').innerText(), 'best accuracy');
    await page.fill('[data-testid=runs-filter]', 'no-such-run');
    assert.equal(await page.locator('[data-testid=runs] tbody tr').count(), 0);
    await page.fill('[data-testid=runs-filter]', 'live');
    await page.locator('[data-testid=runs] input[type=checkbox]').first().check();
    await page.locator('[data-testid=compare] svg').first().waitFor();
    assert.equal(await page.locator('[data-testid=compare] svg').first().getAttribute('data-points'), String(epochs));
    await page.screenshot({ path: join(shots, 'runs.png'), fullPage: true });

    // Models: the layer table and the report, with bars.
    await open('#/models');
    await page.screenshot({ path: join(shots, 'models.png'), fullPage: true });
    await open(`#/models/${encodeURIComponent(`pretrained:${MODEL}`)}`);
    assert.ok(await page.locator('[data-testid=layers] tbody tr').count() > 20);
    assert.ok(await page.locator('[data-testid=ops] td.bar .fill').count() > 40);
    assert.match(await page.locator('[data-testid=budgets]').innerText(), /flash[\s\S]*of 8192\.0 KB[\s\S]*SRAM[\s\S]*of 1024\.0 KB/);
    assert.ok(await page.locator('[data-testid=graph] .block').count() >= 8, 'the graph view: a box per block');
    await page.screenshot({ path: join(shots, 'model.png'), fullPage: true });

    // Studies: one point per finished trial; hovering shows the candidate.
    await open('#/studies');
    await page.screenshot({ path: join(shots, 'studies.png'), fullPage: true });
    await open('#/studies/small');
    assert.equal(await page.locator('[data-testid=scatter] circle.point').count(), trials);
    await page.locator('[data-testid=scatter] circle.point').first().hover();
    assert.match(await page.locator('[data-testid=hover]').innerText(), /#\d+ .*validation.*int8/);
    await page.selectOption('[data-testid=axis]', 'latency');
    await page.waitForFunction(() => document.body.dataset.ready?.includes('/latency/'));
    assert.equal(await page.locator('[data-testid=scatter] circle.point').count(), trials);
    assert.ok(await page.locator('[data-testid=scatter] text.point-label').count() >= 1, 'front points are labelled');
    assert.equal(await page.locator('[data-testid=trials] tbody tr').count(), trials);
    await page.screenshot({ path: join(shots, 'study.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors in the views so far');
    // a click opens the candidate's model; these trials were never trained, so that view says so and the page keeps working
    await page.locator('[data-testid=scatter] circle.point').first().click();
    await page.waitForFunction(() => document.body.dataset.ready?.startsWith('#/models/trial'));
    // (the fake study's trials are 'done' without folders, as in a shipped copy of a study)
    assert.match(await page.locator('[role=alert]').innerText(), /trial \d+ of study small finished training, but its run folder is not here .*cmv3 explore candidate/);
    await page.locator('nav a[href="#/runs"]').click();
    // the browser logs the 404 of that expected failure; nothing else may appear
    assert.deepEqual(errors.splice(0), ['console: Failed to load resource: the server responded with a status of 404 (Not Found)']);
    await page.waitForFunction(() => document.body.dataset.ready === '#/runs');

    // Try it: images dropped on the page (and picked) classified in the browser, as cmv3 predict does.
    const set = readCifar(data, 'test', 3);
    const files = [0, 1, 2].map((i) => {
      const f = join(root, `test${i}.png`);
      writeFileSync(f, pngOf(set.pixels.subarray(i * 3072, (i + 1) * 3072), 32, 32));
      return f;
    });
    const expected = (JSON.parse((await cli(['predict', MODEL, ...files, '--json'])).stdout) as { top: { label: string }[] }[]).map((r) => r.top[0].label);
    await open(`#/try/${encodeURIComponent(`pretrained:${MODEL}`)}`);
    const got: string[] = [];
    for (const [i, f] of files.entries()) {
      await page.evaluate(() => document.querySelector('[data-testid=try-result]')!.replaceChildren());
      if (i === 0) await page.setInputFiles('[data-testid=try-file]', f);
      else await drop(page, f);
      const top1 = page.locator('[data-testid=try-top1]');
      await top1.waitFor({ timeout: 60000 });
      got.push((await top1.getAttribute('data-label'))!);
      await page.locator('[data-testid=try-server]').waitFor({ timeout: 60000 });
      assert.ok(await page.locator('[data-testid=try-int8]').count() === 1, 'the int8 model beside the float one');
    }
    // several images at once: a row each, float32 and int8
    await page.setInputFiles('[data-testid=try-file]', files);
    await page.locator('[data-testid=try-many] tbody tr').nth(2).waitFor({ timeout: 60000 });
    assert.deepEqual(got, expected, 'in-browser top-1 equals cmv3 predict');
    await page.screenshot({ path: join(shots, 'try.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
    await server.stop();
  }
});

/** A real drop: a DataTransfer holding the file, dispatched on the drop zone. */
async function drop(page: Page, file: string): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle((data) => {
    const t = new DataTransfer();
    t.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
    return t;
  }, b64);
  await page.dispatchEvent('[data-testid=drop]', 'drop', { dataTransfer: dt });
}
