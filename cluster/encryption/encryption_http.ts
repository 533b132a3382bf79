/**
 * `POST /vigil/v1/encryption/rotate-key` on the cluster API's TLS listener: rotates
 * the Secret encryption key (key_rotation.ts) and answers
 * `{kind: EncryptionKeyRotation, newKey, droppedKeys, rewritten}`. The caller must
 * pass the cluster API's `authenticate` (401) and `authorize(user, 'update',
 * 'encryptionkeys', '', '')` (403; only cluster admins should hold it).
 * Rotations are serialised.
 */
import type { FastifyInstance } from 'fastify';
import type { AuthenticateFn, AuthorizeFn } from '../api/http.js';
import type { EncryptingStore } from './encrypting_store.js';
import { rotateEncryptionKey } from './key_rotation.js';

export interface EncryptionRoutesOptions {
  store: EncryptingStore;
  keyFile: string;
  authenticate?: AuthenticateFn;
  authorize?: AuthorizeFn;
  logger?: { info(msg: string, f?: Record<string, unknown>): void; error(msg: string, f?: Record<string, unknown>): void };
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

export async function encryptionRoutes(app: FastifyInstance, o: EncryptionRoutesOptions): Promise<void> {
  let chain: Promise<unknown> = Promise.resolve();
  app.post('/vigil/v1/encryption/rotate-key', async (req, reply) => {
    const user = o.authenticate ? await o.authenticate(req) : { name: 'system:anonymous', groups: ['system:unauthenticated'] };
    if (user === null) return reply.code(401).send(status(401, 'Unauthorized', 'Unauthorized'));
    const decision = o.authorize ? await o.authorize(user, 'update', 'encryptionkeys', '', '') : 'allow';
    if (decision !== 'allow')
      return reply.code(403).send(status(403, 'Forbidden', `User "${user.name}" cannot update resource "encryptionkeys": rotating the encryption key needs cluster admin rights`));
    const run = () => rotateEncryptionKey(o.store, o.keyFile);
    const p = chain.then(run, run);
    chain = p.catch(() => undefined);
    try {
      const r = await p;
      o.logger?.info('rotated the Secret encryption key', { user: user.name, newKey: r.newKey, dropped: r.droppedKeys, rewritten: r.rewritten });
      return { kind: 'EncryptionKeyRotation', apiVersion: 'vigil.dev/v1', ...r };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      o.logger?.error('rotating the Secret encryption key failed; old and new keys both stay in the key file', { err: msg });
      return reply.code(500).send(status(500, 'InternalError', `key rotation failed (every Secret is still readable; run it again): ${msg}`));
    }
  });
}
