/**
 * Rebuilding the head from the WAL on start (Prometheus's `tsdb/head_wal.go`):
 * the newest checkpoint first, then every later segment, in order. Series
 * records recreate series under their logged references; samples are appended
 * straight into the series (no appender, no re-logging); tombstones are restored.
 *
 * A torn or corrupt tail is repaired (see wal/repair.ts): records before the
 * damage are kept, the rest is dropped, and the report is passed to `log`.
 */
import type { Labels } from '../labels.js';
import {
  RecordDecodeError,
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  recordType,
} from '../wal/records.js';
import { type WalRepairReport, repairWal } from '../wal/repair.js';
import { lastCheckpoint, listSegments } from '../wal/segment.js';
import { WalCorruption, readSegment } from '../wal/wal_reader.js';
import type { Head } from './head.js';
import type { MemSeries } from './mem_series.js';

/** What a replay read and did. */
export class ReplayStats {
  segments = 0;
  records = 0;
  series = 0;
  samples = 0;
  /** Samples of unknown series, out of order, or duplicates. */
  samplesSkipped = 0;
  tombstones = 0;
  durationMs = 0;
  readonly repairs: WalRepairReport[] = [];
}

/** Replays `walDir` into `head` (which must be empty and have no WAL attached yet). */
export function replayWal(head: Head, walDir: string, log: (msg: string) => void, now: () => number = Date.now): ReplayStats {
  const start = now();
  const st = new ReplayStats();
  const batch = new SampleBatch(4096);
  const refs: number[] = [];
  const labels: Labels[] = [];
  const stones: number[] = [];
  // A series logged twice under different references (Prometheus tolerates this): map the newer one.
  const remap = new Map<number, number>();
  const range = head.chunkRange;
  const spc = head.samplesPerChunk;
  const sink = head.sink;
  const ooo = head.oooWindow > 0;
  // Samples already persisted in blocks (a crash between writing a block and checkpointing) are skipped.
  const minValid = head.minValidTime;

  let recOffset = 0;
  const onRecord = (rec: Uint8Array, _segment: number, offset: number): void => {
    recOffset = offset;
    st.records++;
    const typ = recordType(rec);
    if (typ === RecordType.Samples) {
      decodeSamples(rec, batch);
      const n = batch.n;
      const br = batch.refs;
      const bt = batch.ts;
      const bv = batch.vs;
      const bw = batch.vw;
      let minT = head.minT;
      let maxT = head.maxT;
      let chunks = 0;
      let applied = 0;
      let lastRef = -1;
      let s: MemSeries | undefined;
      for (let i = 0; i < n; i++) {
        const r = br[i]!;
        if (r !== lastRef) {
          lastRef = r;
          s = head.getByRef(remap.size === 0 ? r : (remap.get(r) ?? r));
        }
        if (s === undefined) continue;
        const t = bt[i]!;
        if (t < minValid) continue;
        if (t > s.lastT) {
          chunks += s.appendAt(bt, bw, i, range, spc, sink);
        } else if (!ooo || t === s.lastT || !s.insertOoo(t, bv[i]!)) {
          continue;
        }
        applied++;
        if (t < minT) minT = t;
        if (t > maxT) maxT = t;
      }
      head.minT = minT;
      head.maxT = maxT;
      head.stats.chunksCreated += chunks;
      st.samples += applied;
      st.samplesSkipped += n - applied;
    } else if (typ === RecordType.Series) {
      refs.length = 0;
      labels.length = 0;
      decodeSeries(rec, refs, labels);
      for (let i = 0; i < refs.length; i++) {
        const s = head.createWithRef(refs[i]!, labels[i]!);
        if (s.ref !== refs[i]) remap.set(refs[i]!, s.ref);
        if (refs[i]! >= head.nextRef) head.nextRef = refs[i]! + 1;
        st.series++;
      }
    } else if (typ === RecordType.Tombstones) {
      stones.length = 0;
      decodeTombstones(rec, stones);
      for (let i = 0; i < stones.length; i += 3) {
        const r = stones[i]!;
        head.tombstones.add(remap.get(r) ?? r, stones[i + 1]!, stones[i + 2]!);
        st.tombstones++;
      }
    }
    // Other record types are skipped.
  };

  const readDir = (dir: string, segs: number[]): boolean => {
    for (const n of segs) {
      st.segments++;
      let c: WalCorruption | null;
      try {
        c = readSegment(dir, n, onRecord);
      } catch (e) {
        if (!(e instanceof RecordDecodeError)) throw e;
        // A record with a valid checksum but undecodable content: damage starting at that record.
        c = new WalCorruption(dir, n, recOffset, e.message);
      }
      if (c !== null) {
        const report = repairWal(c);
        st.repairs.push(report);
        log(report.toString());
        return false;
      }
    }
    return true;
  };

  const cp = lastCheckpoint(walDir);
  let first = 0;
  if (cp !== null) {
    readDir(cp.path, listSegments(cp.path));
    first = cp.index + 1;
  }
  readDir(
    walDir,
    listSegments(walDir).filter((n) => n >= first),
  );
  st.durationMs = now() - start;
  return st;
}
