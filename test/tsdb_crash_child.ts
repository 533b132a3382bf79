/**
 * Child process for test/tsdb_crash.test.ts: opens the TSDB in argv[2] and
 * commits batches forever (one sample for each of `SERIES` series per batch, at
 * timestamps 1000 ms apart, continuing after whatever the WAL already holds),
 * printing each committed batch's timestamp on its own line after `commit()`
 * resolved. The parent kills it with SIGKILL at a random moment.
 */
import { openDB } from '../tsdb/db.js';
import { Labels } from '../tsdb/labels.js';
import { NO_REF, type SeriesRef } from '../tsdb/storage.js';

const SERIES = 50;

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: tsdb_crash_child DIR');
  const db = await openDB(dir, { log: () => {}, autoCompact: false });
  const labels: Labels[] = [];
  for (let i = 0; i < SERIES; i++) labels.push(Labels.fromStrings('__name__', 'crash_test', 'series', String(i)));
  const refs: SeriesRef[] = new Array(SERIES).fill(NO_REF);
  let t = Number.isFinite(db.head.maxT) ? db.head.maxT + 1000 : 1000;
  process.stdout.write(`ready ${t}\n`);
  for (;;) {
    const app = db.appender();
    for (let i = 0; i < SERIES; i++) refs[i] = app.append(refs[i]!, labels[i]!, t, t * 0.001 + i);
    await app.commit();
    process.stdout.write(`${t}\n`);
    t += 1000;
    // Yield now and then so stdout drains to the parent.
    if (t % 20_000 === 0) await new Promise((r) => setImmediate(r));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
