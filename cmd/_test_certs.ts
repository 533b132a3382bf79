/**
 * Test support: a throw-away PKI made with the `openssl` CLI (Debian's openssl package):
 * a CA, a server certificate for 127.0.0.1/localhost, a client certificate signed by the
 * CA, and a self-signed client certificate from no trusted CA. Files are PEM.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the generated files. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly strangerCert: string;
  readonly strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Signs a new key's certificate with the CA; `ext` is an OpenSSL extension section body. */
export function issueCert(pki: Pick<TestPki, 'dir' | 'caCert' | 'caKey'>, name: string, cn: string, ext: string): { cert: string; key: string } {
  const dir = pki.dir;
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '2', '-out', cert, '-extfile', extFile]);
  return { cert, key };
}

/** Creates the PKI in `dir` (about 100 ms of openssl runs). */
export function makeTestPki(dir: string): TestPki {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert,
    '-days', '2', '-subj', '/CN=Vigil Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const ca = { dir, caCert, caKey };
  const server = issueCert(ca, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = issueCert(ca, 'client', 'grafana', 'extendedKeyUsage=clientAuth\n');
  const strangerKey = join(dir, 'stranger.key');
  const strangerCert = join(dir, 'stranger.crt');
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', strangerKey, '-out', strangerCert, '-days', '2', '-subj', '/CN=stranger']);
  return { dir, caCert, caKey, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key, strangerCert, strangerKey };
}
