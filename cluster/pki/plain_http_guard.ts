/**
 * Makes plain HTTP to a TLS port fail cleanly: the first byte of every connection
 * is peeked; a TLS handshake (0x16) proceeds as usual, a request that looks like
 * HTTP gets `400 Bad Request` "Client sent an HTTP request to an HTTPS server."
 * (Go's answer) and the connection closes, other bytes just close it, and a
 * connection that sends nothing within `firstByteTimeoutMs` is dropped.
 */
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

const TLS_HANDSHAKE_RECORD = 0x16;
export const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** Installs the guard on `server` (call before `listen`). */
export function guardPlainHttp(server: HttpsServer, firstByteTimeoutMs = 10_000): void {
  const handshake = server.listeners('connection');
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
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
      if (first[0] === TLS_HANDSHAKE_RECORD) {
        for (const l of handshake) (l as (s: Socket) => void).call(server, socket);
        return;
      }
      if (first[0]! >= 0x41 && first[0]! <= 0x5a) socket.end(PLAIN_HTTP_ANSWER, () => socket.destroy());
      else socket.destroy();
    });
  });
}
