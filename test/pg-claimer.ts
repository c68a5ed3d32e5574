// A claiming process for the contention test (65.4) and bench:explore-pg: claims trials of a study
// on PostgreSQL as fast as it can, completes each at once, and prints the ids it got and the time
// each claim took. Run: node pg-claimer.js URL STUDY (PGPASSWORD in the environment).
import { PgStudy } from '../src/explore/pg/store.js';
import { workerId } from '../src/explore/store.js';

const [url, name] = process.argv.slice(2);
const study = await PgStudy.open(url, name);
const me = workerId(), got: number[] = [], ms: number[] = [];
for (;;) {
  const t0 = performance.now();
  const t = await study.claim(me);
  if (!t) break;
  ms.push(performance.now() - t0);
  got.push(t.id);
  await study.complete(t.id, me, { valAcc: 0.5, testAcc: 0.5, trainSeconds: 0, imagesPerSec: 0 }, 0);
}
await study.close();
console.log(JSON.stringify({ got, ms }));
