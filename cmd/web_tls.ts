/**
 * TLS for the monitoring HTTP server from `tls_server_config` (cmd/web_config.ts).
 *
 * `httpsOptions` gives fastify's `https` option for start-up; `installTlsReload` then
 * takes over the server's raw connections so that, like Prometheus (which re-reads the
 * web config for every handshake):
 * - every new connection first brings the web config up to date (mtime cache); when the
 *   certificate, key, CA or TLS settings changed, the server's secure context is replaced
 *   (`setSecureContext`) and the client-auth policy updated before the handshake starts;
 *   an invalid config on disk refuses the connection;
 * - a plain-HTTP request on the TLS port gets Go's answer, `400 Bad Request` "Client sent
 *   an HTTP request to an HTTPS server.", and the connection closes; other non-TLS bytes
 *   just close it; a client that sends nothing is dropped after `FIRST_BYTE_TIMEOUT_MS`;
 * - Go's client-auth policies Node has no flag for are checked right after the handshake:
 *   `RequireAnyClientCert` (a certificate, not verified) and `VerifyClientCertIfGiven`.
 * TLS on/off itself is decided at start-up (as in Prometheus).
 */
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from './logger.js';
import type { WebConfigSource } from './web_auth.js';
import { type ClientAuthType, readTlsMaterial, secureContextOptions, type TlsServerConfig } from './web_config.js';

/** A connection that sends no byte within this is closed. */
export const FIRST_BYTE_TIMEOUT_MS = 10_000;

const TLS_HANDSHAKE_RECORD = 0x16;
const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** Node's `requestCert`/`rejectUnauthorized` for a Go client-auth policy. */
export function clientAuthFlags(t: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  if (t === 'NoClientCert') return { requestCert: false, rejectUnauthorized: false };
  return { requestCert: true, rejectUnauthorized: t === 'RequireAndVerifyClientCert' };
}

/** fastify's `https` option for `tls`. Reads the files now. */
export function httpsOptions(tls: TlsServerConfig) {
  return { ...secureContextOptions(tls, readTlsMaterial(tls)), ...clientAuthFlags(tls.clientAuthType) };
}

/** The per-connection fields of Node's tls.Server that `tlsConnectionListener` reads. */
interface TlsServerFields {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Takes over `server`'s connection handling as described above. Call before `listen`. */
export function installTlsReload(server: HttpsServer, source: WebConfigSource, logger: Logger): void {
  const handshake = server.listeners('connection');
  server.removeAllListeners('connection');
  let applied = source.last().tls;
  let policy: ClientAuthType = applied?.clientAuthType ?? 'NoClientCert';

  const startTls = (socket: Socket) => {
    for (const l of handshake) (l as (s: Socket) => void).call(server, socket);
  };

  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), FIRST_BYTE_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('readable', () => {
      clearTimeout(timer);
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      if (first[0] !== TLS_HANDSHAKE_RECORD) {
        // Go answers requests that look like HTTP; anything else is simply closed.
        // Destroy once flushed: the unread request would otherwise keep the socket half open.
        if (first[0]! >= 0x41 && first[0]! <= 0x5a) socket.end(PLAIN_HTTP_ANSWER, () => socket.destroy());
        else socket.destroy();
        return;
      }
      source.current().then(
        (cfg) => {
          const tls = cfg.tls;
          if (tls === null) throw new Error('tls_server_config was removed; TLS cannot be switched off without a restart');
          // The source hands out a new object only after re-reading a changed file.
          if (tls !== applied) {
            server.setSecureContext(secureContextOptions(tls, readTlsMaterial(tls)));
            logger.info('TLS settings or certificates changed; new connections use them', { file: cfg.file });
          }
          applied = tls;
          policy = tls.clientAuthType;
          Object.assign(server as unknown as TlsServerFields, clientAuthFlags(policy));
          startTls(socket);
        },
        (e: unknown) => {
          logger.error('TLS handshake refused: the web config is invalid', { err: e instanceof Error ? e.message : String(e) });
          socket.destroy();
        },
      );
    });
  });

  // Policies without a Node flag: checked once the handshake is done, before any request is read.
  server.prependListener('secureConnection', (s: TLSSocket) => {
    if (policy === 'RequireAnyClientCert' && !hasPeerCert(s)) s.destroy();
    else if (policy === 'VerifyClientCertIfGiven' && hasPeerCert(s) && !s.authorized) s.destroy();
  });
}

function hasPeerCert(s: TLSSocket): boolean {
  const c = s.getPeerCertificate();
  return c !== null && typeof c === 'object' && Object.keys(c).length > 0;
}
