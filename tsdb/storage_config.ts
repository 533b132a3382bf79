/**
 * The `storage` section of prometheus.yml (`storage.tsdb` and `storage.exemplars`),
 * with Prometheus's validation (`config/config.go` `TSDBConfig`, `TSDBRetentionConfig`,
 * `ExemplarsConfig`). Zero values mean "not set here": the command-line flags apply.
 *
 * Vigil validates this section; the TSDB applies it once it supports each setting
 * (until then the loader reports the section as not implemented).
 */
import type { MapReader } from './config_reader.js';
import { formatDuration } from './duration.js';
import { formatSize } from './size.js';

/** `storage.tsdb.retention`: overrides `--storage.tsdb.retention.*` when non-zero. */
export interface RetentionConfig {
  /** Milliseconds; 0 = not set. */
  time: number;
  /** Bytes; 0 = not set. */
  size: number;
  /** Percent of the disk, 0..100; 0 = not set. */
  percentage: number;
}

/** `storage.tsdb`. */
export interface TsdbConfig {
  /** Milliseconds an out-of-order sample may lag the newest one; 0 = out-of-order ingestion off. */
  outOfOrderTimeWindow: number;
  /** Fraction (0..1) of stale head series that triggers a stale-series compaction; 0 = off. */
  staleSeriesCompactionThreshold: number;
  /** Float chunk encoding: `''` (the default, XOR), `xor` or `xor2`. */
  chunkEncodingFloats: '' | 'xor' | 'xor2';
  retention: RetentionConfig;
}

/** The `storage` section. */
export interface StorageConfig {
  tsdb: TsdbConfig;
  exemplars: { maxExemplars: number };
}

export const DEFAULT_MAX_EXEMPLARS = 100_000;

/** The storage configuration when the section is absent. */
export function defaultStorageConfig(): StorageConfig {
  return {
    tsdb: { outOfOrderTimeWindow: 0, staleSeriesCompactionThreshold: 0, chunkEncodingFloats: '', retention: { time: 0, size: 0, percentage: 0 } },
    exemplars: { maxExemplars: DEFAULT_MAX_EXEMPLARS },
  };
}

/** Parses the `storage` section of the document root. */
export function parseStorageConfig(root: MapReader): StorageConfig {
  const c = defaultStorageConfig();
  const r = root.map('storage');
  if (r === null) return c;
  r.fields(['tsdb', 'exemplars']);
  const t = r.map('tsdb');
  if (t !== null) {
    t.fields(['out_of_order_time_window', 'stale_series_compaction_threshold', 'chunk_encoding', 'retention']);
    c.tsdb.outOfOrderTimeWindow = t.duration('out_of_order_time_window', 0);
    c.tsdb.staleSeriesCompactionThreshold = t.float('stale_series_compaction_threshold', 0);
    const ce = t.map('chunk_encoding');
    if (ce !== null) {
      ce.fields(['floats']);
      const f = ce.str('floats');
      if (f !== '' && f !== 'xor' && f !== 'xor2') {
        throw ce.valueError('floats', 'bad_value', `expected xor or xor2 (or no value), received ${JSON.stringify(f)}`);
      }
      c.tsdb.chunkEncodingFloats = f;
    }
    const ret = t.map('retention');
    if (ret !== null) {
      ret.fields(['time', 'size', 'percentage']);
      c.tsdb.retention.time = ret.duration('time', 0);
      c.tsdb.retention.size = ret.size('size', 0);
      if (c.tsdb.retention.size < 0) throw ret.valueError('size', 'bad_value', `expected a size of at least 0, received ${ret.str('size')}`);
      c.tsdb.retention.percentage = ret.float('percentage', 0);
      const p = c.tsdb.retention.percentage;
      if (p < 0 || p > 100) throw ret.valueError('percentage', 'bad_value', `expected a percentage between 0 and 100, received ${p}`);
    }
  }
  const e = r.map('exemplars');
  if (e !== null) {
    e.fields(['max_exemplars']);
    c.exemplars.maxExemplars = e.int('max_exemplars', DEFAULT_MAX_EXEMPLARS);
  }
  return c;
}

/** The storage section as Prometheus prints it (unset values left out). */
export function storageConfigToYaml(c: StorageConfig): Record<string, unknown> {
  const tsdb: Record<string, unknown> = {};
  if (c.tsdb.outOfOrderTimeWindow !== 0) tsdb.out_of_order_time_window = formatDuration(c.tsdb.outOfOrderTimeWindow);
  if (c.tsdb.staleSeriesCompactionThreshold !== 0) tsdb.stale_series_compaction_threshold = c.tsdb.staleSeriesCompactionThreshold;
  if (c.tsdb.chunkEncodingFloats !== '') tsdb.chunk_encoding = { floats: c.tsdb.chunkEncodingFloats };
  const ret: Record<string, unknown> = {};
  if (c.tsdb.retention.time !== 0) ret.time = formatDuration(c.tsdb.retention.time);
  if (c.tsdb.retention.size !== 0) ret.size = formatSize(c.tsdb.retention.size);
  if (c.tsdb.retention.percentage !== 0) ret.percentage = c.tsdb.retention.percentage;
  if (Object.keys(ret).length > 0) tsdb.retention = ret;
  const o: Record<string, unknown> = {};
  if (Object.keys(tsdb).length > 0) o.tsdb = tsdb;
  o.exemplars = { max_exemplars: c.exemplars.maxExemplars };
  return o;
}
