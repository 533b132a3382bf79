/**
 * Remote write 1.0 and remote read (SAMPLES) messages, encoded and decoded by hand
 * (package `prometheus`, prompb/remote.proto and types.proto):
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4; }
 *   Label { string name = 1; string value = 2; }   Sample { double value = 1; int64 timestamp = 2; }
 *   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 *
 * Decoding is columnar: samples land in two Float64Arrays (bit-exact, so the staleness
 * marker survives) and each series records its `[start, end)` range; there is no object
 * per sample. Label sets are validated (names non-empty, no duplicates, `__name__`
 * present) and cached by their raw bytes, because Prometheus sends every sample as its
 * own TimeSeries with the full label set. Unknown fields are skipped. Exemplars and
 * native histograms are counted, not decoded (Vigil stores float samples only).
 */
import { Labels, METRIC_NAME } from '../labels.js';
import { decodeMessage, Reader, readDouble, readInt64, readLengthEnd, skipField } from './proto_reader.js';
import { ProtoWriter, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from './proto_writer.js';

/** Metric types of `MetricMetadata`, by wire value. */
export const METRIC_TYPES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'] as const;
export type MetricTypeName = (typeof METRIC_TYPES)[number];

/** One `MetricMetadata` entry. */
export interface MetricMetadata {
  type: MetricTypeName;
  familyName: string;
  help: string;
  unit: string;
}

/** One decoded `TimeSeries`: its labels (or why they are invalid) and its samples' range in the columns. */
export interface DecodedSeries {
  /** The label set, or null when `invalid` says why it was rejected. */
  labels: Labels | null;
  invalid: string;
  /** Index of the first sample in `WriteRequestData.ts/vs`. */
  start: number;
  /** One past the last sample. */
  end: number;
}

/** A decoded `WriteRequest`. Samples of `series[i]` are `ts/vs[series[i].start .. series[i].end)`. */
export interface WriteRequestData {
  series: DecodedSeries[];
  /** Total float samples. */
  samples: number;
  ts: Float64Array;
  vs: Float64Array;
  metadata: MetricMetadata[];
  exemplars: number;
  histograms: number;
}

// ---------------------------------------------------------------------------
// Label-set cache: raw label bytes → validated Labels (or an invalid marker).
// Two generations approximate LRU: when `young` is full it becomes `old`.

const CACHE_GENERATION = 50_000;
let young = new Map<string, Labels | string>();
let old = new Map<string, Labels | string>();

function cacheGet(key: string): Labels | string | undefined {
  let v = young.get(key);
  if (v !== undefined) return v;
  v = old.get(key);
  if (v !== undefined) cachePut(key, v);
  return v;
}

function cachePut(key: string, v: Labels | string): void {
  if (young.size >= CACHE_GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(key, v);
}

// Scratch for one series' labels, reused across series.
const scratchNames: string[] = [];
const scratchValues: string[] = [];

/** Validates scratch labels into a Labels, or returns the reason they are invalid. */
function buildLabels(n: number): Labels | string {
  const pairs: [string, string][] = new Array(n);
  for (let i = 0; i < n; i++) pairs[i] = [scratchNames[i]!, scratchValues[i]!];
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let hasName = false;
  for (let i = 0; i < n; i++) {
    const name = pairs[i]![0];
    if (name === '') return 'a label has an empty name';
    if (i > 0 && pairs[i - 1]![0] === name) return `duplicate label name ${JSON.stringify(name)}`;
    if (name === METRIC_NAME && pairs[i]![1] !== '') hasName = true;
  }
  if (!hasName) return 'the metric name label __name__ is missing or empty';
  return Labels.from(pairs);
}

function decodeLabel(r: Reader, end: number, i: number): void {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WIRE_BYTES) name = r.string();
    else if (field === 2 && (tag & 7) === WIRE_BYTES) value = r.string();
    else skipField(r, tag & 7);
  }
  scratchNames[i] = name;
  scratchValues[i] = value;
}

class Columns {
  n = 0;
  ts = new Float64Array(1024);
  vs = new Float64Array(1024);

  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      const vs = new Float64Array(this.n * 2);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }
}

/** Decodes the `labels` fields found in `[from, to)` of a TimeSeries into the scratch arrays; returns their count. */
function decodeLabelsIn(r: Reader, from: number, to: number): number {
  const save = r.pos;
  r.pos = from;
  let n = 0;
  while (r.pos < to) {
    const tag = r.uint32();
    if (tag === (1 << 3) + WIRE_BYTES) {
      const lend = readLengthEnd(r);
      decodeLabel(r, lend, n++);
      r.pos = lend;
    } else {
      skipField(r, tag & 7);
    }
  }
  r.pos = save;
  return n;
}

function decodeTimeSeries(r: Reader, raw: Buffer, end: number, cols: Columns, out: WriteRequestData): void {
  const seriesFrom = r.pos;
  const start = cols.n;
  let labelsFrom = -1;
  let labelsTo = -1;
  let contiguous = true;
  while (r.pos < end) {
    const fieldStart = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_BYTES) {
      // Only locate the labels here: when the set is cached they are never decoded.
      const lend = readLengthEnd(r);
      if (labelsFrom < 0) labelsFrom = fieldStart;
      else if (labelsTo !== fieldStart) contiguous = false;
      r.pos = lend;
      labelsTo = lend;
    } else if (field === 2 && wire === WIRE_BYTES) {
      const send = readLengthEnd(r);
      let t = 0;
      let v = 0;
      while (r.pos < send) {
        const stag = r.uint32();
        if (stag === (1 << 3) + WIRE_FIXED64) v = readDouble(r);
        else if (stag === (2 << 3) + WIRE_VARINT) t = readInt64(r);
        else skipField(r, stag & 7);
      }
      r.pos = send;
      cols.push(t, v);
    } else if (field === 3 && wire === WIRE_BYTES) {
      r.pos = readLengthEnd(r);
      out.exemplars++;
    } else if (field === 4 && wire === WIRE_BYTES) {
      r.pos = readLengthEnd(r);
      out.histograms++;
    } else {
      if (field === 0) throw new Error(`field number 0 at byte ${fieldStart}`);
      skipField(r, wire);
    }
  }
  let labels: Labels | string | undefined;
  if (labelsFrom < 0) {
    labels = 'the series has no labels';
  } else if (contiguous) {
    const key = raw.toString('latin1', labelsFrom, labelsTo);
    labels = cacheGet(key);
    if (labels === undefined) {
      labels = buildLabels(decodeLabelsIn(r, labelsFrom, labelsTo));
      cachePut(key, labels);
    }
  } else {
    labels = buildLabels(decodeLabelsIn(r, seriesFrom, end));
  }
  out.series.push(
    typeof labels === 'string' ? { labels: null, invalid: labels, start, end: cols.n } : { labels, invalid: '', start, end: cols.n },
  );
}

function decodeMetadata(r: Reader, end: number): MetricMetadata {
  const m: MetricMetadata = { type: 'unknown', familyName: '', help: '', unit: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_VARINT) m.type = METRIC_TYPES[r.uint32()] ?? 'unknown';
    else if (field === 2 && wire === WIRE_BYTES) m.familyName = r.string();
    else if (field === 4 && wire === WIRE_BYTES) m.help = r.string();
    else if (field === 5 && wire === WIRE_BYTES) m.unit = r.string();
    else skipField(r, wire);
  }
  return m;
}

/**
 * Decodes an uncompressed `WriteRequest`. Throws `RemoteError('protobuf_malformed')`
 * for malformed input; invalid label sets do not throw, they are reported per series.
 */
export function decodeWriteRequest(buf: Uint8Array): WriteRequestData {
  const cols = new Columns();
  const out: WriteRequestData = { series: [], samples: 0, ts: cols.ts, vs: cols.vs, metadata: [], exemplars: 0, histograms: 0 };
  decodeMessage('WriteRequest', () => {
    const raw = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const r = Reader.create(raw);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) throw new Error(`field number 0 at byte ${r.pos}`);
      if (field === 1 && wire === WIRE_BYTES) {
        const end = readLengthEnd(r);
        decodeTimeSeries(r, raw, end, cols, out);
        r.pos = end;
      } else if (field === 3 && wire === WIRE_BYTES) {
        const end = readLengthEnd(r);
        out.metadata.push(decodeMetadata(r, end));
        r.pos = end;
      } else {
        skipField(r, wire);
      }
    }
  });
  out.samples = cols.n;
  out.ts = cols.ts;
  out.vs = cols.vs;
  return out;
}

// ---------------------------------------------------------------------------
// Encoding.

/** The encoded `labels` fields of a TimeSeries (to be cached per series by senders). */
export function encodeLabels(labels: Labels, w: ProtoWriter = new ProtoWriter(256)): Uint8Array {
  w.reset();
  for (let i = 0; i < labels.length; i++) {
    const m = w.begin(1);
    w.tag(1, WIRE_BYTES).string(labels.name(i));
    w.tag(2, WIRE_BYTES).string(labels.value(i));
    w.end(m);
  }
  return w.finish();
}

/** Appends one `Sample` message (field `field` of the enclosing message). */
export function writeSample(w: ProtoWriter, field: number, t: number, v: number): void {
  const m = w.begin(field);
  w.tag(1, WIRE_FIXED64).double(v);
  if (t !== 0) w.tag(2, WIRE_VARINT).varint(t);
  w.end(m);
}

/** Appends the metadata entries of a WriteRequest. */
export function writeMetadata(w: ProtoWriter, metadata: readonly MetricMetadata[]): void {
  for (const md of metadata) {
    const m = w.begin(3);
    const type = METRIC_TYPES.indexOf(md.type);
    if (type > 0) w.tag(1, WIRE_VARINT).varint(type);
    if (md.familyName !== '') w.tag(2, WIRE_BYTES).string(md.familyName);
    if (md.help !== '') w.tag(4, WIRE_BYTES).string(md.help);
    if (md.unit !== '') w.tag(5, WIRE_BYTES).string(md.unit);
    w.end(m);
  }
}

/**
 * Encodes a WriteRequest with one TimeSeries per sample, as Prometheus does: sample `i`
 * belongs to the series whose encoded labels are `labelBytes[i]` (see `encodeLabels`).
 * Writes into `w` (reset first) and returns a view valid until `w` is used again.
 */
export function encodeWriteRequest(
  w: ProtoWriter,
  n: number,
  labelBytes: readonly Uint8Array[],
  ts: Float64Array,
  vs: Float64Array,
  metadata: readonly MetricMetadata[] = [],
): Uint8Array {
  w.reset();
  for (let i = 0; i < n; i++) {
    const m = w.begin(1);
    w.raw(labelBytes[i]!);
    writeSample(w, 2, ts[i]!, vs[i]!);
    w.end(m);
  }
  writeMetadata(w, metadata);
  return w.view();
}

/** A series with its samples, for building whole requests (tests, benchmarks, remote read responses). */
export interface SeriesSamples {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** Encodes a WriteRequest with one TimeSeries per series holding all its samples. Returns a fresh copy. */
export function encodeWriteRequestSeries(series: readonly SeriesSamples[], metadata: readonly MetricMetadata[] = []): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    const m = w.begin(1);
    w.raw(encodeLabels(s.labels));
    for (let i = 0; i < s.ts.length; i++) writeSample(w, 2, s.ts[i]!, s.vs[i]!);
    w.end(m);
  }
  writeMetadata(w, metadata);
  return w.finish();
}
