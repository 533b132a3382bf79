import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { apiErrorHandler } from './api_envelope.js';
import { MAX_FORM_FIELDS, parseFormBody, registerFormBody } from './form_body.js';
import { NOP_LOGGER } from '../logger.js';

describe('form bodies', () => {
  test('repeated keys become arrays, single keys strings, escapes decoded', () => {
    const f = parseFormBody('query=up%7Bjob%3D%22a%22%7D&match%5B%5D=a&match%5B%5D=b&time=1712345678.123&empty=');
    assert.equal(f.query, 'up{job="a"}');
    assert.deepEqual(f['match[]'], ['a', 'b']);
    assert.equal(f.time, '1712345678.123');
    assert.equal(f.empty, '');
  });

  test('__proto__ is an ordinary key and pollutes nothing', () => {
    const f = parseFormBody('__proto__=x&constructor=y');
    assert.equal(Object.getPrototypeOf(f), null);
    assert.equal(Object.getOwnPropertyDescriptor(f, '__proto__')?.value, 'x');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('too many fields is bad_data', () => {
    const body = Array.from({ length: MAX_FORM_FIELDS + 1 }, (_, i) => `k${i}=1`).join('&');
    assert.throws(() => parseFormBody(body), /more than 10000 fields/);
  });

  test('a POSTed form reaches the route as fields; oversized bodies are 413', async (t) => {
    const app = Fastify({ logger: false, bodyLimit: 256 });
    app.setErrorHandler(apiErrorHandler(NOP_LOGGER));
    registerFormBody(app);
    app.post('/api/v1/query', async (req) => ({ status: 'success', data: req.body }));
    t.after(() => app.close());
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'query=1%2B1&match[]=x&match[]=y',
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'success', data: { query: '1+1', 'match[]': ['x', 'y'] } });
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `query=${'x'.repeat(300)}`,
    });
    assert.equal(big.statusCode, 413);
    assert.equal((big.json() as { errorType: string }).errorType, 'bad_data');
  });
});
