#!/usr/bin/env bash
# What a user gets: pack cmv3, install the tarball into a fresh project (its install script builds
# the addon there), run the examples as ESM and CommonJS, and type-check a consumer in both module
# systems without @types/node. Called by .ci/run; needs CMV3_DATA (CIFAR-10 binary) for the examples.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${CMV3_DATA:?set CMV3_DATA to the CIFAR-10 binary folder}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null
cd "$work"
npm init -y >/dev/null
ts=$(node -p "require('$root/package.json').devDependencies.typescript")
npm install --no-audit --no-fund --silent ./cmv3-*.tgz "typescript@$ts"
cp "$root"/examples/quickstart.mjs "$root"/examples/quickstart.cjs .
echo "== examples/quickstart.mjs (ESM)"; node quickstart.mjs "$data" out-esm
echo "== examples/quickstart.cjs (CommonJS)"; node quickstart.cjs "$data" out-cjs
# Types: the consumer has no @types/node ("types": [] keeps any from being picked up) and checks our .d.ts (no skipLibCheck).
for kind in module commonjs; do
  mkdir -p "ts-$kind"
  cp "$root"/examples/typed.ts "ts-$kind/"
  echo "{ \"type\": \"$kind\" }" > "ts-$kind/package.json"
  echo '{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "types": [], "skipLibCheck": false }, "files": ["typed.ts"] }' > "ts-$kind/tsconfig.json"
  echo "== typed.ts as $kind, no @types/node"; (cd "ts-$kind" && "$work/node_modules/.bin/tsc" -p tsconfig.json)
done
echo "package check passed"
