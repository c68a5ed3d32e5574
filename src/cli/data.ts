// cmv3 data fetch cifar10 [--dir DIR] [--url URL --md5 HEX]
import { join } from 'node:path';
import { CIFAR10_MD5, CIFAR10_URL, fetchArchive } from '../data/fetch.js';
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
  const url = (values.url as string | undefined) ?? CIFAR10_URL;
  const tty = process.stderr.isTTY, bar = progressBar(), t0 = performance.now();
  let lastShown = 0;
  console.log(`downloading ${url} into ${dir}`);
  const files = await fetchArchive({
    url, md5: ((values.md5 as string | undefined) ?? CIFAR10_MD5).toLowerCase(), dir,
    onProgress: (got, total) => {
      const mb = (b: number) => Math.round(b / 1e5) / 10;
      if (tty) {
        const s = (performance.now() - t0) / 1000;
        bar.update({ stage: 'download', done: mb(got), total: total ? mb(total) : mb(got), etaSeconds: total && got ? (s / got) * (total - got) : undefined }, 'MB');
        return;
      }
      // piped: a plain line every 5 s, none when --quiet
      const now = Date.now();
      if (process.env.CMV3_QUIET === '1' || (now - lastShown < 5000 && got !== total)) return;
      lastShown = now;
      process.stderr.write(`${mb(got)}${total ? ` / ${mb(total)} MB (${((100 * got) / total).toFixed(0)}%)` : ' MB'}\n`);
    },
  }).finally(bar.done);
  console.log(`checksum verified; unpacked ${files.length} files into ${join(dir, files[0]?.split('/')[0] ?? '')}`);
}
