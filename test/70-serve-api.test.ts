// cmv3 serve's API and edges without a browser: binding, no path outside the given folders, the
// upload cap, one-line errors, and damaged run or study folders shown as errors beside good ones.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCifar } from '../src/data/cifar.js';
import { cifarOrSkip } from './helpers.js';
import { cli, fakeStudy, pngOf, serve, tempDir } from './serve-helpers.js';

const get = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  const text = await r.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each check reads the fields it needs
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* a page or bytes */ }
  return { status: r.status, json, text };
};

/** A request sent exactly as written (fetch would normalise "..", "%2e%2e" away before sending). */
function raw(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('70.1 the CLI refuses bad options in one line', async () => {
  const bad = [
    [['serve', '--port', 'abc'], /Expected a port from 0 to 65535 for --port but received "abc"/],
    [['serve', '--runs', '/no/such/folder'], /--runs \/no\/such\/folder: no such folder/],
    [['serve', '--max-upload', 'lots'], /Expected a size such as 256KB or 1MB for --max-upload/],
    [['serve', '--colour'], /unknown option --colour/],
    [['serve', '--max-upload', '0'], /Expected at least 1KB for --max-upload/],
  ] as const;
  for (const [args, msg] of bad) {
    const r = await cli([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('usage') && !l.startsWith(' ')).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('70.2 loopback only, no path traversal, capped uploads, damaged folders shown as errors', async (t) => {
  const data = cifarOrSkip(t);
  if (!data) return;
  const root = tempDir('cmv3-serve-api-'), runs = join(root, 'runs'), studies = join(root, 'studies'), outside = join(root, 'outside');
  mkdirSync(runs); mkdirSync(studies); mkdirSync(outside);
  // a good run folder is not needed for these checks; damaged ones are
  mkdirSync(join(runs, 'torn'));
  writeFileSync(join(runs, 'torn', 'config.json'), '{"version": 1, "spec": {'); // half-written
  mkdirSync(join(runs, 'no-config'));
  writeFileSync(join(runs, 'no-config', 'metrics.jsonl'), '{"epoch":1}\n{"epo');
  mkdirSync(join(runs, 'odd-metrics'));
  writeFileSync(join(runs, 'odd-metrics', 'config.json'), JSON.stringify({ version: 1, spec: { name: 'x', width: 1 }, recipe: {}, epochs: 3 }));
  writeFileSync(join(runs, 'odd-metrics', 'metrics.jsonl'), 'null\n[1]\n{"epoch":1,"testAcc":0.5}\n"text"\n');
  writeFileSync(join(outside, 'config.json'), '{}');
  symlinkSync(outside, join(runs, 'escape'));
  mkdirSync(join(studies, 'broken'));
  writeFileSync(join(studies, 'broken', 'study.sqlite'), 'not a database at all, just text');
  const n = await fakeStudy(join(studies, 'good'), 5);
  const s = await serve(['--runs', runs, '--studies', studies, '--max-upload', '64KB']);
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'binds the loopback address by default');
    const page = await get(s.url);
    assert.equal(page.status, 200);
    assert.match(page.text, /<script type="module" src="app.js">/);

    const list = await get(`${s.url}api/runs`);
    assert.equal(list.status, 200);
    const byName = Object.fromEntries((list.json as { name: string; status: string; error?: string }[]).map((r) => [r.name, r]));
    assert.equal(byName.torn.status, 'error');
    assert.match(byName.torn.error!, /not valid JSON/);
    assert.equal(byName['no-config'].status, 'error');
    assert.match(byName['no-config'].error!, /no config.json/);
    assert.notEqual(byName['odd-metrics'].status, 'error', 'lines that are not epochs are skipped');
    assert.equal((byName['odd-metrics'] as unknown as { bestAcc: number }).bestAcc, 0.5);

    for (const path of ['/api/runs/..', '/api/runs/%2e%2e', '/api/runs/.hidden', '/api/runs/a%2fb', '/api/runs/a%5cb', '/api/runs/escape', '/api/studies/..',
      '/../package.json', '/%2e%2e/package.json', '/index.html/../../package.json', '/app.js%00', '/api/runs/..%2f..%2fpackage.json', '/api/models/tflite?id=run:..',
      '/api/models/tflite?id=trial:..:1', '/api/models/report?id=run:escape&target=__proto__']) {
      const r = await raw(s.url, path);
      assert.ok([400, 403, 404].includes(r.status), `${path}: ${r.status}`);
      assert.equal(typeof JSON.parse(r.text).error, 'string', `${path} answers with one error line`);
      assert.doesNotMatch(r.text, /"version"|"name": "cmv3"|\{\}/, `${path} leaks nothing`);
    }
    // DNS rebinding: another name for this address is refused; so is a POST from another origin
    assert.equal((await raw(s.url, '/api/runs', { host: 'evil.example:80' })).status, 403);
    assert.equal((await raw(s.url, '/api/runs', { host: new URL(s.url).host })).status, 200);
    assert.equal((await raw(s.url, '/api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10', { origin: 'http://evil.example' }, 'POST')).status, 403);
    assert.equal((await get(`${s.url}api/runs/escape`)).status, 403, 'a symlink out of --runs is refused');
    assert.match(((await get(`${s.url}api/models/report?id=run:../x`)).json as { error: string }).error, /Expected a run name/);
    assert.match(((await get(`${s.url}api/models/report?id=bogus`)).json as { error: string }).error, /Expected a model id such as run:NAME/);
    assert.equal((await get(`${s.url}api/runs`, { method: 'DELETE' })).status, 405);
    // the page polls this while a run's evaluation runs; nothing runs here
    assert.deepEqual((await get(`${s.url}api/runs/torn/confusion/progress`)).json, { done: 0, total: 0 });

    const studiesList = (await get(`${s.url}api/studies`)).json as { name: string; error?: string; counts?: { done: number } }[];
    assert.match(studiesList.find((x) => x.name === 'broken')!.error!, /not a cmv3 study|file is not a database/);
    assert.equal(studiesList.find((x) => x.name === 'good')!.counts!.done, n);
    const detail = (await get(`${s.url}api/studies/good`)).json as { trials: unknown[]; front: number[] };
    assert.equal(detail.trials.length, n);
    assert.ok(detail.front.length >= 1);

    // uploads: over the cap refused (413) before decoding; a real image classified like cmv3 predict
    const big = await get(`${s.url}api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10`, { method: 'POST', body: new Uint8Array(200 * 1024) });
    assert.equal(big.status, 413);
    assert.match((big.json as { error: string }).error, /over the 64 KB limit \(cmv3 serve --max-upload\)/);
    // a PNG whose header claims 20000x20000 pixels: refused from the header, nothing allocated
    const huge = pngOf(new Uint8Array(32 * 32 * 3), 32, 32);
    huge.writeUInt32BE(20000, 16); huge.writeUInt32BE(20000, 20);
    const tooMany = await get(`${s.url}api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10`, { method: 'POST', body: new Uint8Array(huge) });
    assert.equal(tooMany.status, 413);
    assert.match(tooMany.json.error, /over the 16 megapixel limit/);
    const junk = await get(`${s.url}api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10`, { method: 'POST', body: new Uint8Array(100) });
    assert.equal(junk.status, 415);
    const set = readCifar(data, 'test', 1);
    const png = pngOf(set.pixels.subarray(0, 3072), 32, 32);
    const dir = tempDir('cmv3-serve-img-'), file = join(dir, 'img.png');
    writeFileSync(file, png);
    const served = await get(`${s.url}api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10&top=3`, { method: 'POST', body: new Uint8Array(png) });
    assert.equal(served.status, 200, served.text);
    const local = JSON.parse((await cli(['predict', 'cmv3-w0.5-relu6-cifar10', file, '--json'])).stdout) as { top: { label: string; probability: number }[] }[];
    const top = (served.json as { top: { label: string; probability: number }[] }).top;
    assert.deepEqual(top.map((c) => c.label), local[0].top.map((c) => c.label));
    assert.ok(Math.abs(top[0].probability - local[0].top[0].probability) < 1e-4);

    // the float32 .tflite the page classifies with
    const tfl = await fetch(`${s.url}api/models/tflite?id=pretrained:cmv3-w0.5-relu6-cifar10`);
    assert.equal(tfl.status, 200);
    assert.equal(Buffer.from(await tfl.arrayBuffer()).subarray(4, 8).toString(), 'TFL3');
  } finally {
    assert.equal(await s.stop(), 0, 'Ctrl-C stops the server cleanly');
  }
});

test('70.3 run files linked out of their folder are refused without their content; Host checks hold on 0.0.0.0', async () => {
  const root = tempDir('cmv3-serve-links-'), runs = join(root, 'runs'), outside = join(root, 'outside');
  mkdirSync(runs); mkdirSync(outside);
  const secret = join(outside, 'passwd');
  writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(outside, 'config.json'), JSON.stringify({ version: 1, spec: { name: 'leak', width: 1 }, recipe: {}, epochs: 3 }));
  mkdirSync(join(runs, 'linked-config'));
  symlinkSync(join(outside, 'config.json'), join(runs, 'linked-config', 'config.json'));
  mkdirSync(join(runs, 'linked-metrics'));
  writeFileSync(join(runs, 'linked-metrics', 'config.json'), JSON.stringify({ version: 1, spec: { name: 'x', width: 1 }, recipe: {}, epochs: 3 }));
  symlinkSync(secret, join(runs, 'linked-metrics', 'metrics.jsonl'));
  mkdirSync(join(runs, 'not-json'));
  symlinkSync(secret, join(runs, 'not-json', 'config.json'));
  mkdirSync(join(runs, 'garbage'));
  writeFileSync(join(runs, 'garbage', 'config.json'), 'root:x:0:0:root:/root:/bin/bash\n');

  const s = await serve(['--runs', runs, '--host', '0.0.0.0', '--allow-host', 'dash.example']);
  try {
    const port = new URL(s.url).port;
    for (const name of ['linked-config', 'linked-metrics', 'not-json']) {
      const r = await raw(s.url, `/api/runs/${name}`, { host: `127.0.0.1:${port}` });
      assert.equal(r.status, 200, r.text);
      const detail = JSON.parse(r.text) as { status: string; error?: string; metrics: unknown[] };
      assert.equal(detail.status, 'error', name);
      assert.match(detail.error!, /run file .* points outside/, name);
      assert.deepEqual(detail.metrics, []);
    }
    const list = await raw(s.url, '/api/runs', { host: `127.0.0.1:${port}` });
    assert.doesNotMatch(list.text, /root:x|leak/, 'no content of a file outside the root');
    const garbage = JSON.parse((await raw(s.url, '/api/runs/garbage', { host: `127.0.0.1:${port}` })).text) as { error: string };
    assert.match(garbage.error, /config\.json is not valid JSON \(it does not start as JSON\)/);
    assert.doesNotMatch(garbage.error, /root:x/);

    // Bound to every address: a foreign Host and a cross-origin POST are still refused.
    assert.equal((await raw(s.url, '/api/runs', { host: `evil.example:${port}` })).status, 403);
    assert.equal((await raw(s.url, '/api/predict?id=pretrained:cmv3-w0.5-relu6-cifar10', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, 'POST')).status, 403);
    assert.equal((await raw(s.url, '/api/runs', { host: `dash.example:${port}` })).status, 200, '--allow-host');
    assert.equal((await raw(s.url, '/api/runs', { host: `${hostname()}:${port}` })).status, 200, "the machine's own name");
  } finally {
    assert.equal(await s.stop(), 0);
  }
  assert.match((await cli(['serve', '--allow-host', 'http://x:80'])).stderr, /Expected a host name or address for --allow-host/);
});
