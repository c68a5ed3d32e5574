// The CommonJS build: dist/src/**/*.js (ESM, from tsc) -> dist/cjs/**/*.js, one file per module so
// relative paths keep working (dist/cjs/X sits as deep as dist/src/X, so '../../../pretrained/'
// still finds the package root). esbuild rewrites import/export to require/exports and
// import.meta.url to the file's own URL; the .d.ts files are copied beside, so `require('cmv3')`
// gets the same types as `import`.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transformSync } from 'esbuild';

const SRC = 'dist/src', OUT = 'dist/cjs';
rmSync(OUT, { recursive: true, force: true });
function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* files(join(dir, e.name));
    else yield join(dir, e.name);
  }
}
let count = 0;
for (const f of files(SRC)) {
  const to = join(OUT, relative(SRC, f));
  mkdirSync(dirname(to), { recursive: true });
  if (f.endsWith('.d.ts')) { copyFileSync(f, to); continue; }
  if (!f.endsWith('.js')) continue;
  const code = readFileSync(f, 'utf8');
  const r = transformSync(code, {
    format: 'cjs', platform: 'node', target: 'node20', sourcefile: f,
    define: { 'import.meta.url': '__cmv3_module_url' },
    banner: code.includes('import.meta.url') ? 'const __cmv3_module_url = require("node:url").pathToFileURL(__filename).href;' : '',
  });
  if (r.warnings.length) throw new Error(`${f}: ${r.warnings.map((w) => w.text).join('; ')}`);
  writeFileSync(to, r.code);
  count++;
}
writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
console.log(`build-cjs: ${count} modules -> ${OUT}`);
