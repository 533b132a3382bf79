/**
 * The remote read client: sends one `Query` per request (as Prometheus 2.x does) with
 * the SAMPLES response type and decodes the snappy'd `ReadResponse` columnar.
 * Responses are bounded: `MAX_READ_RESPONSE_BYTES` compressed, `MAX_READ_DECODED_BYTES`
 * declared uncompressed.
 */
import { HttpEndpoint, type EndpointConfig, firstLine } from './http_client.js';
import { ProtoWriter } from './proto_writer.js';
import { decodeReadResponse, encodeReadRequest, type QueryResultData, type ReadQuery } from './read_codec.js';
import { RemoteError } from './remote_error.js';
import { snappyDecode, snappyEncode } from './snappy.js';
import { REMOTE_USER_AGENT } from './write_client.js';

export const MAX_READ_RESPONSE_BYTES = 128 * 1024 * 1024;
export const MAX_READ_DECODED_BYTES = 512 * 1024 * 1024;

export class ReadClient {
  readonly url: string;
  private readonly endpoint: HttpEndpoint;

  constructor(cfg: EndpointConfig) {
    this.url = cfg.url;
    this.endpoint = new HttpEndpoint(cfg);
  }

  /** Runs `query`; rejects with a `RemoteError` naming the endpoint on any failure. */
  async read(query: ReadQuery): Promise<QueryResultData> {
    const body = snappyEncode(encodeReadRequest(new ProtoWriter(1024), [query]));
    const res = await this.endpoint.post(
      body,
      {
        'content-encoding': 'snappy',
        'accept-encoding': 'snappy',
        'content-type': 'application/x-protobuf',
        'user-agent': REMOTE_USER_AGENT,
        'x-prometheus-remote-read-version': '0.1.0',
      },
      MAX_READ_RESPONSE_BYTES,
    );
    if (res.status < 200 || res.status >= 300) {
      throw new RemoteError('http_status', `remote server ${this.url} returned HTTP status ${res.status}: ${firstLine(res.body)}`, { status: res.status });
    }
    const results = decodeReadResponse(snappyDecode(res.body, MAX_READ_DECODED_BYTES));
    if (results.length !== 1) throw new RemoteError('protobuf_malformed', `remote server ${this.url}: expected 1 query result, received ${results.length}`);
    return results[0]!;
  }

  close(): void {
    this.endpoint.close();
  }
}
