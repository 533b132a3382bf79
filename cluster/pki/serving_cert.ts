/**
 * The cluster API's serving certificate (`apiserver.crt`/`apiserver.key`, key 0600,
 * next to the CA): issued by Vigil's CA for the loopback addresses, `localhost`,
 * the host name and any extra names (`--cluster.tls-san`). Reused on restart while it
 * is signed by the current CA, covers every wanted name and is not within
 * `renewBeforeMs` of its expiry; otherwise a new one replaces it. The same
 * machinery keeps the API server's client certificate for agents (`usages: ['client']`).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type CertAndKey, issueCert, writePrivate } from './ca.js';

/** A serving certificate is renewed when it expires within this. */
export const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The names every serving certificate covers, plus `extra`. */
export function defaultSans(extra: readonly string[] = []): string[] {
  return [...new Set(['127.0.0.1', '::1', 'localhost', hostname().toLowerCase(), ...extra.filter((s) => s !== '')])];
}

/** Whether `certPem` was signed by `ca`, covers `sans` and stays valid beyond `now + renewBeforeMs`. */
export function certStillGood(certPem: string, ca: CertAndKey, sans: readonly string[], now: number, renewBeforeMs = RENEW_BEFORE_MS): boolean {
  let x: X509Certificate;
  try {
    x = new X509Certificate(certPem);
  } catch {
    return false;
  }
  const caX = new X509Certificate(ca.certPem);
  if (!x.checkIssued(caX) || !x.verify(caX.publicKey)) return false;
  if (Date.parse(x.validTo) - now < renewBeforeMs || Date.parse(x.validFrom) > now + 3_600_000) return false;
  return sans.every((s) => (isIP(s) !== 0 ? x.checkIP(s) !== undefined : x.checkHost(s, { wildcards: false }) !== undefined));
}

/**
 * Returns the serving certificate in `dir` named `name` (`<name>.crt`, `<name>.key`),
 * issuing a new one when missing, foreign, not covering `sans` or near expiry.
 */
export function ensureServingCert(
  dir: string,
  ca: CertAndKey,
  o: { sans: readonly string[]; commonName?: string; name?: string; now?: number; renewBeforeMs?: number; usages?: readonly ('server' | 'client')[] },
): { pair: CertAndKey; issued: boolean } {
  const name = o.name ?? 'apiserver';
  const now = o.now ?? Date.now();
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const pair = { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
    if (certStillGood(pair.certPem, ca, o.sans, now, o.renewBeforeMs)) return { pair, issued: false };
  }
  const pair = issueCert(ca, { commonName: o.commonName ?? 'vigil-apiserver', sans: o.sans, usages: o.usages ?? ['server'], now });
  writePrivate(keyPath, pair.keyPem);
  writeFileSync(certPath, pair.certPem, { mode: 0o644 });
  return { pair, issued: true };
}
