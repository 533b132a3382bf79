/**
 * Chunk encodings, numbered exactly as Prometheus's `chunkenc.Encoding`
 * (`tsdb/chunkenc/chunk.go`), because the number is written into every chunk
 * on disk (the byte after the length in `chunks/` and `chunks_head/` files).
 * Vigil encodes and decodes `XOR` only; the others are recognised so that a
 * reader can say exactly what it met.
 */
export enum Encoding {
  None = 0,
  XOR = 1,
  Histogram = 2,
  FloatHistogram = 3,
  XOR2 = 4,
  HistogramST = 5,
  FloatHistogramST = 6,
}

const NAMES: readonly string[] = ['none', 'XOR', 'histogram', 'floathistogram', 'XOR2', 'histogramST', 'floathistogramST'];

/** Prometheus's name for an encoding (`Encoding.String()`), or `<unknown N>`. */
export function encodingName(e: number): string {
  return NAMES[e] ?? `<unknown ${e}>`;
}
