// cmv3 data fetch cifar10 [--dir DIR] [--url URL --md5 HEX]
import { fetchCifar10 } from '../api/data.js';
import { CIFAR10_URL } from '../data/fetch.js';
import { parse, UsageError } from './args.js';
import { progressBar } from './progress.js';

export const DATA_USAGE = 'usage: cmv3 data fetch cifar10 [--dir DIR] [--url URL --md5 HEX (a mirror)]';

export async function dataCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { dir: { type: 'string' }, url: { type: 'string' }, md5: { type: 'string' } }, DATA_USAGE);
  if (values.help) return; // parse() printed the help
  if (positionals[0] !== 'fetch' || positionals[1] !== 'cifar10' || positionals.length !== 2) {
    throw new UsageError(`Expected "fetch cifar10" but received ${JSON.stringify(positionals.join(' '))}\n${DATA_USAGE}`);
  }
  if ((values.url === undefined) !== (values.md5 === undefined)) throw new UsageError('--url and --md5 go together: a mirror needs its checksum');
  if (values.md5 !== undefined && !/^[0-9a-f]{32}$/i.test(values.md5 as string)) throw new UsageError(`Expected 32 hex digits for --md5 but received ${JSON.stringify(values.md5)}`);
  const dir = (values.dir as string | undefined) ?? './data';
  const tty = process.stderr.isTTY, bar = progressBar();
  let lastShown = 0;
  console.log(`downloading ${(values.url as string | undefined) ?? CIFAR10_URL} into ${dir}`);
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  const r = await fetchCifar10({
    dir, url: values.url as string | undefined, md5: values.md5 as string | undefined,
    onProgress: (p) => {
      if (tty) { bar.update({ ...p, done: mb(p.done), total: mb(p.total || p.done) }, 'MB'); return; }
      // piped: a plain line every 5 s, none when --quiet
      const now = Date.now();
      if (process.env.CMV3_QUIET === '1' || (now - lastShown < 5000 && p.done !== p.total)) return;
      lastShown = now;
      process.stderr.write(`${mb(p.done)}${p.total ? ` / ${mb(p.total)} MB (${((100 * p.done) / p.total).toFixed(0)}%)` : ' MB'}\n`);
    },
  }).finally(bar.done);
  console.log(`checksum verified; unpacked ${r.files.length} files into ${r.dir}`);
}
