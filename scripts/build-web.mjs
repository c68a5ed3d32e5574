// Builds the dashboard page into dist/web: web/src bundled by esbuild (the engine and the .tflite
// reader from src/ included, the native int8 and float kernels swapped for the browser stand-ins), plus the
// static index.html and style.css. `npm run build` runs it; cmv3 serve only serves the result.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/web/`;
mkdirSync(out, { recursive: true });

const browserNative = {
  name: 'browser-native-kernels',
  setup(b) {
    b.onResolve({ filter: /\/int8\/native\.js$/ }, () => ({ path: `${root}web/src/native-browser.ts` }));
    b.onResolve({ filter: /(^|\/)conv-native\.js$/ }, () => ({ path: `${root}web/src/float-native-browser.ts` }));
  },
};

await build({
  entryPoints: [`${root}web/src/main.ts`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: `${out}app.js`,
  plugins: [browserNative],
  logLevel: 'warning',
  legalComments: 'none',
});
for (const f of ['index.html', 'style.css']) copyFileSync(`${root}web/${f}`, `${out}${f}`);
console.log(`dashboard page built in ${out}`);
