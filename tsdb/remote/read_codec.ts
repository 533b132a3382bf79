/**
 * Remote read messages (prompb/remote.proto), SAMPLES response type only:
 *
 *   ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
 *   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
 *                  repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
 *   LabelMatcher { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2; string value = 3; }
 *   ReadHints    { int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4;
 *                  repeated string grouping = 5; bool by = 6; int64 range_ms = 7; }
 *   ReadResponse { repeated QueryResult results = 1; }  QueryResult { repeated TimeSeries timeseries = 1; }
 *
 * Responses are decoded columnar (one Float64Array pair per result); the server side
 * encodes straight from a SeriesSet into a `ProtoWriter`.
 */
import { Labels } from '../labels.js';
import { MatchType } from '../matcher.js';
import { type SeriesSet, ValueType } from '../storage.js';
import { decodeMessage, Reader, readDouble, readInt64, readLengthEnd, skipField } from './proto_reader.js';
import { type ProtoWriter, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from './proto_writer.js';
import { RemoteError } from './remote_error.js';

/** Response types of remote read. */
export const RESPONSE_SAMPLES = 0;
export const RESPONSE_STREAMED_XOR_CHUNKS = 1;

const MATCH_TYPES: readonly MatchType[] = [MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp];

export interface WireMatcher {
  type: MatchType;
  name: string;
  value: string;
}

export interface ReadHintsData {
  stepMs: number;
  func: string;
  startMs: number;
  endMs: number;
  grouping: string[];
  by: boolean;
  rangeMs: number;
}

export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: WireMatcher[];
  hints: ReadHintsData | null;
}

export interface ReadRequestData {
  queries: ReadQuery[];
  acceptedResponseTypes: number[];
}

function decodeMatcher(r: Reader, end: number): WireMatcher {
  const m: WireMatcher = { type: MatchType.Equal, name: '', value: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === (1 << 3) + WIRE_VARINT) {
      const t = r.uint32();
      const mt = MATCH_TYPES[t];
      if (mt === undefined) throw new RemoteError('protobuf_malformed', `LabelMatcher.type: expected 0..3 (EQ, NEQ, RE, NRE), received ${t}`);
      m.type = mt;
    } else if (tag === (2 << 3) + WIRE_BYTES) m.name = r.string();
    else if (tag === (3 << 3) + WIRE_BYTES) m.value = r.string();
    else skipField(r, tag & 7);
  }
  return m;
}

function decodeHints(r: Reader, end: number): ReadHintsData {
  const h: ReadHintsData = { stepMs: 0, func: '', startMs: 0, endMs: 0, grouping: [], by: false, rangeMs: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) + WIRE_VARINT:
        h.stepMs = readInt64(r);
        break;
      case (2 << 3) + WIRE_BYTES:
        h.func = r.string();
        break;
      case (3 << 3) + WIRE_VARINT:
        h.startMs = readInt64(r);
        break;
      case (4 << 3) + WIRE_VARINT:
        h.endMs = readInt64(r);
        break;
      case (5 << 3) + WIRE_BYTES:
        h.grouping.push(r.string());
        break;
      case (6 << 3) + WIRE_VARINT:
        h.by = r.uint32() !== 0;
        break;
      case (7 << 3) + WIRE_VARINT:
        h.rangeMs = readInt64(r);
        break;
      default:
        skipField(r, tag & 7);
    }
  }
  return h;
}

function decodeQuery(r: Reader, end: number): ReadQuery {
  const q: ReadQuery = { startMs: 0, endMs: 0, matchers: [], hints: null };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === (1 << 3) + WIRE_VARINT) q.startMs = readInt64(r);
    else if (tag === (2 << 3) + WIRE_VARINT) q.endMs = readInt64(r);
    else if (tag === (3 << 3) + WIRE_BYTES) {
      const e = readLengthEnd(r);
      q.matchers.push(decodeMatcher(r, e));
      r.pos = e;
    } else if (tag === (4 << 3) + WIRE_BYTES) {
      const e = readLengthEnd(r);
      q.hints = decodeHints(r, e);
      r.pos = e;
    } else skipField(r, tag & 7);
  }
  return q;
}

/** Decodes an uncompressed ReadRequest. Throws `RemoteError('protobuf_malformed')`. */
export function decodeReadRequest(buf: Uint8Array): ReadRequestData {
  return decodeMessage('ReadRequest', () => {
    const out: ReadRequestData = { queries: [], acceptedResponseTypes: [] };
    const r = Reader.create(buf);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === (1 << 3) + WIRE_BYTES) {
        const e = readLengthEnd(r);
        out.queries.push(decodeQuery(r, e));
        r.pos = e;
      } else if (tag === (2 << 3) + WIRE_VARINT) {
        out.acceptedResponseTypes.push(r.uint32());
      } else if (tag === (2 << 3) + WIRE_BYTES) {
        // proto3 packs repeated enums.
        const e = readLengthEnd(r);
        while (r.pos < e) out.acceptedResponseTypes.push(r.uint32());
      } else {
        if (tag >>> 3 === 0) throw new Error(`field number 0 at byte ${r.pos}`);
        skipField(r, tag & 7);
      }
    }
    return out;
  });
}

/** Encodes a ReadRequest (SAMPLES accepted) into `w` (reset first); returns a view. */
export function encodeReadRequest(w: ProtoWriter, queries: readonly ReadQuery[]): Uint8Array {
  w.reset();
  for (const q of queries) {
    const qm = w.begin(1);
    if (q.startMs !== 0) w.tag(1, WIRE_VARINT).varint(q.startMs);
    if (q.endMs !== 0) w.tag(2, WIRE_VARINT).varint(q.endMs);
    for (const m of q.matchers) {
      const mm = w.begin(3);
      const t = MATCH_TYPES.indexOf(m.type);
      if (t > 0) w.tag(1, WIRE_VARINT).varint(t);
      w.tag(2, WIRE_BYTES).string(m.name);
      w.tag(3, WIRE_BYTES).string(m.value);
      w.end(mm);
    }
    if (q.hints !== null) {
      const h = q.hints;
      const hm = w.begin(4);
      if (h.stepMs !== 0) w.tag(1, WIRE_VARINT).varint(h.stepMs);
      if (h.func !== '') w.tag(2, WIRE_BYTES).string(h.func);
      if (h.startMs !== 0) w.tag(3, WIRE_VARINT).varint(h.startMs);
      if (h.endMs !== 0) w.tag(4, WIRE_VARINT).varint(h.endMs);
      for (const g of h.grouping) w.tag(5, WIRE_BYTES).string(g);
      if (h.by) w.tag(6, WIRE_VARINT).varint(1);
      if (h.rangeMs !== 0) w.tag(7, WIRE_VARINT).varint(h.rangeMs);
      w.end(hm);
    }
    w.end(qm);
  }
  // Packed accepted_response_types: [SAMPLES].
  const pm = w.begin(2);
  w.varint(RESPONSE_SAMPLES);
  w.end(pm);
  return w.view();
}

/** Limits applied while encoding a read response from a SeriesSet. */
export interface ReadResponseLimits {
  /** Maximum samples over the whole response; 0 = none. */
  maxSamples: number;
  /** Maximum encoded bytes (before compression); 0 = none. */
  maxBytes: number;
}

/**
 * Appends one QueryResult (field 1 of ReadResponse) with every series of `ss`, each
 * series' labels merged with `extra` (the series' own labels win, as Prometheus's
 * MergeLabels). Throws `RemoteError('body_too_large')` when a limit is exceeded.
 * Returns the number of samples written.
 */
export function writeQueryResult(w: ProtoWriter, ss: SeriesSet, extra: Labels, limits: ReadResponseLimits, samplesSoFar: number): number {
  const rm = w.begin(1);
  let samples = samplesSoFar;
  while (ss.next()) {
    const s = ss.at();
    const sm = w.begin(1);
    const labels = mergeLabels(s.labels, extra);
    for (let i = 0; i < labels.length; i++) {
      const lm = w.begin(1);
      w.tag(1, WIRE_BYTES).string(labels.name(i));
      w.tag(2, WIRE_BYTES).string(labels.value(i));
      w.end(lm);
    }
    const it = s.iterator();
    while (it.next() !== ValueType.None) {
      if (limits.maxSamples > 0 && ++samples > limits.maxSamples) {
        throw new RemoteError('body_too_large', `exceeded sample limit (${limits.maxSamples})`);
      }
      const m = w.begin(2);
      w.tag(1, WIRE_FIXED64).double(it.atV());
      const t = it.atT();
      if (t !== 0) w.tag(2, WIRE_VARINT).varint(t);
      w.end(m);
    }
    const err = it.err();
    if (err !== null) throw err;
    w.end(sm);
    if (limits.maxBytes > 0 && w.pos > limits.maxBytes) {
      throw new RemoteError('body_too_large', `the response exceeds the limit of ${limits.maxBytes} bytes; narrow the matchers or the time range`);
    }
  }
  const err = ss.err();
  if (err !== null) throw err;
  w.end(rm);
  return samples;
}

/** `primary` plus the labels of `extra` it does not have. */
export function mergeLabels(primary: Labels, extra: Labels): Labels {
  if (extra.isEmpty()) return primary;
  let missing = false;
  for (let i = 0; i < extra.length; i++) if (!primary.has(extra.name(i))) missing = true;
  if (!missing) return primary;
  const b = primary.builder();
  for (let i = 0; i < extra.length; i++) if (!primary.has(extra.name(i))) b.set(extra.name(i), extra.value(i));
  return b.labels();
}

/** One decoded QueryResult: series `i` has samples `ts/vs[starts[i] .. starts[i+1])`. */
export interface QueryResultData {
  labels: Labels[];
  /** Invalid label sets found (the series is left out and the reason recorded). */
  invalid: string[];
  starts: number[];
  ts: Float64Array;
  vs: Float64Array;
}

function decodeResultSeries(r: Reader, end: number, out: QueryResultData, cols: { n: number; ts: Float64Array; vs: Float64Array }): void {
  const pairs: [string, string][] = [];
  const start = cols.n;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === (1 << 3) + WIRE_BYTES) {
      const e = readLengthEnd(r);
      let name = '';
      let value = '';
      while (r.pos < e) {
        const lt = r.uint32();
        if (lt === (1 << 3) + WIRE_BYTES) name = r.string();
        else if (lt === (2 << 3) + WIRE_BYTES) value = r.string();
        else skipField(r, lt & 7);
      }
      pairs.push([name, value]);
    } else if (tag === (2 << 3) + WIRE_BYTES) {
      const e = readLengthEnd(r);
      let t = 0;
      let v = 0;
      while (r.pos < e) {
        const st = r.uint32();
        if (st === (1 << 3) + WIRE_FIXED64) v = readDouble(r);
        else if (st === (2 << 3) + WIRE_VARINT) t = readInt64(r);
        else skipField(r, st & 7);
      }
      if (cols.n === cols.ts.length) {
        const ts = new Float64Array(cols.n * 2);
        ts.set(cols.ts);
        const vs = new Float64Array(cols.n * 2);
        vs.set(cols.vs);
        cols.ts = ts;
        cols.vs = vs;
      }
      cols.ts[cols.n] = t;
      cols.vs[cols.n] = v;
      cols.n++;
    } else skipField(r, tag & 7);
  }
  const names = new Set<string>();
  for (const [n] of pairs) {
    if (n === '' || names.has(n)) {
      out.invalid.push(n === '' ? 'a label has an empty name' : `duplicate label name ${JSON.stringify(n)}`);
      cols.n = start;
      return;
    }
    names.add(n);
  }
  out.labels.push(Labels.from(pairs));
  out.starts.push(start);
}

/** Decodes an uncompressed ReadResponse. Throws `RemoteError('protobuf_malformed')`. */
export function decodeReadResponse(buf: Uint8Array): QueryResultData[] {
  return decodeMessage('ReadResponse', () => {
    const results: QueryResultData[] = [];
    const r = Reader.create(buf);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === (1 << 3) + WIRE_BYTES) {
        const e = readLengthEnd(r);
        const out: QueryResultData = { labels: [], invalid: [], starts: [], ts: new Float64Array(0), vs: new Float64Array(0) };
        const cols = { n: 0, ts: new Float64Array(256), vs: new Float64Array(256) };
        while (r.pos < e) {
          const t = r.uint32();
          if (t === (1 << 3) + WIRE_BYTES) {
            const se = readLengthEnd(r);
            decodeResultSeries(r, se, out, cols);
            r.pos = se;
          } else skipField(r, t & 7);
        }
        out.starts.push(cols.n);
        out.ts = cols.ts;
        out.vs = cols.vs;
        results.push(out);
      } else {
        if (tag >>> 3 === 0) throw new Error(`field number 0 at byte ${r.pos}`);
        skipField(r, tag & 7);
      }
    }
    return results;
  });
}
