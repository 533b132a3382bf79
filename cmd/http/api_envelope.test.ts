import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { LogFields } from '../logger.js';
import { API_ERROR_STATUS, ApiError, type ApiErrorType, apiErrorHandler, notFoundHandler, sendSuccess } from './api_envelope.js';

function recordingLogger() {
  const records: { level: string; msg: string; fields: LogFields | undefined }[] = [];
  const rec = (level: string) => (msg: string, fields?: LogFields) => void records.push({ level, msg, fields });
  return { records, logger: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') } };
}

function app(t: { after(fn: () => Promise<void>): void }, bodyLimit = 1024): { app: FastifyInstance; records: ReturnType<typeof recordingLogger>['records'] } {
  const { records, logger } = recordingLogger();
  const a = Fastify({ logger: false, bodyLimit });
  a.setErrorHandler(apiErrorHandler(logger));
  a.setNotFoundHandler(notFoundHandler);
  a.get('/api/v1/ok', async (_req, reply) => sendSuccess(reply, { x: 1 }, ['careful'], []));
  a.get('/api/v1/fail/:type', async (req) => {
    throw new ApiError((req.params as { type: ApiErrorType }).type, 'it went wrong');
  });
  a.get('/api/v1/boom', async () => {
    throw new TypeError('undefined is not a function');
  });
  a.post('/api/v1/echo', { schema: { body: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } } }, async (req, reply) =>
    sendSuccess(reply, req.body),
  );
  t.after(() => a.close());
  return { app: a, records };
}

describe('API envelope', () => {
  test('success envelope has status, data and non-empty warnings only', async (t) => {
    const { app: a } = app(t);
    const res = await a.inject({ method: 'GET', url: '/api/v1/ok' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), { status: 'success', data: { x: 1 }, warnings: ['careful'] });
  });

  test('each error type maps to its Prometheus status code', async (t) => {
    const { app: a } = app(t);
    const expected: Record<ApiErrorType, number> = {
      bad_data: 400,
      execution: 422,
      canceled: 499,
      timeout: 503,
      internal: 500,
      not_found: 404,
      unavailable: 503,
      not_acceptable: 406,
    };
    assert.deepEqual(API_ERROR_STATUS, expected);
    for (const [type, status] of Object.entries(expected)) {
      const res = await a.inject({ method: 'GET', url: `/api/v1/fail/${type}` });
      assert.equal(res.statusCode, status, type);
      assert.deepEqual(res.json(), { status: 'error', errorType: type, error: 'it went wrong' });
    }
  });

  test('unexpected exceptions are internal 500 and logged with the request', async (t) => {
    const { app: a, records } = app(t);
    const res = await a.inject({ method: 'GET', url: '/api/v1/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { status: 'error', errorType: 'internal', error: 'undefined is not a function' });
    const logged = records.find((r) => r.level === 'error');
    assert.ok(logged, 'an error record is written');
    assert.equal(logged.fields?.url, '/api/v1/boom');
  });

  test('schema validation failures are bad_data 400', async (t) => {
    const { app: a } = app(t);
    const res = await a.inject({ method: 'POST', url: '/api/v1/echo', payload: { nope: 1 } });
    assert.equal(res.statusCode, 400);
    const body = res.json() as { status: string; errorType: string; error: string };
    assert.equal(body.status, 'error');
    assert.equal(body.errorType, 'bad_data');
    assert.match(body.error, /q/);
  });

  test('malformed JSON and oversized bodies are bad_data with their status', async (t) => {
    const { app: a } = app(t, 64);
    const bad = await a.inject({ method: 'POST', url: '/api/v1/echo', headers: { 'content-type': 'application/json' }, payload: '{"q":' });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { errorType: string }).errorType, 'bad_data');
    const big = await a.inject({ method: 'POST', url: '/api/v1/echo', payload: { q: 'x'.repeat(200) } });
    assert.equal(big.statusCode, 413);
    assert.equal((big.json() as { errorType: string }).errorType, 'bad_data');
    const proto = await a.inject({
      method: 'POST',
      url: '/api/v1/echo',
      headers: { 'content-type': 'application/xml' },
      payload: 'q',
    });
    assert.equal(proto.statusCode, 415);
    assert.equal((proto.json() as { errorType: string }).errorType, 'bad_data');
  });

  test('unknown API paths get a not_found envelope, others plain text', async (t) => {
    const { app: a } = app(t);
    const api = await a.inject({ method: 'GET', url: '/api/v1/nothing?x=1' });
    assert.equal(api.statusCode, 404);
    assert.deepEqual(api.json(), { status: 'error', errorType: 'not_found', error: 'no API endpoint GET /api/v1/nothing' });
    const page = await a.inject({ method: 'GET', url: '/nothing' });
    assert.equal(page.statusCode, 404);
    assert.equal(page.body, '404 page not found\n');
  });
});
