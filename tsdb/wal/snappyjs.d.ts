/** Types for the `snappyjs` package (Snappy block format, as Go's `github.com/golang/snappy` Encode/Decode). */
declare module 'snappyjs' {
  const snappy: {
    /** Decompresses a Snappy block; throws on malformed input or when the output would exceed `maxLength`. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
    compress(uncompressed: Uint8Array): Uint8Array;
  };
  export default snappy;
}
