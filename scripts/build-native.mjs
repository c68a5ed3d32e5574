// npm install hook: build the oneDNN addon when oneDNN is installed; otherwise say how, and
// let the install succeed (cmv3 then runs on its reference backend). `npm run build:native`
// is the strict build that fails loudly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const HOW = 'sudo apt-get install -y libdnnl-dev && npm run build:native';
if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) {
  console.warn(`cmv3: oneDNN headers not found, native addon not built (the slow reference backend will be used). For the fast one: ${HOW}`);
  process.exit(0);
}
const r = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.warn(`cmv3: native addon build failed (the slow reference backend will be used). Retry with: ${HOW}`);
}
process.exit(0);
