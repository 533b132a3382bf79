/**
 * Vigil's own certificate authority: created on first start in
 * `<storage path>/cluster/pki/` (`ca.key` mode 0600, `ca.crt`), reused afterwards,
 * and used to issue the cluster API's serving certificate and other leaf
 * certificates (server and/or client usage).
 *
 * Keys are ECDSA P-256 made by node:crypto (milliseconds, where RSA-2048 takes
 * seconds on a loaded machine); certificates are laid out with node-forge
 * (node:crypto cannot create X.509; forge encodes only RSA keys, so the real
 * SubjectPublicKeyInfo and the ECDSA algorithm identifiers are swapped into its
 * TBSCertificate), signed ECDSA-SHA256 by node:crypto and parsed back with
 * node:crypto's `X509Certificate` to check them. `caCertHash` is the kubeadm pin:
 * `sha256:<hex of the DER SubjectPublicKeyInfo of the CA certificate>`.
 */
import { createHash, createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A certificate and its private key, PEM. */
export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A PKI file that cannot be used: says which file and why. */
export class PkiError extends Error {
  readonly code = 'pki';
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

/** Lifetime of the CA. */
export const CA_VALIDITY_DAYS = 3650;
/** Lifetime of leaf certificates (serving, client). */
export const LEAF_VALIDITY_DAYS = 365;
const DAY_MS = 86_400_000;

export interface IssueOptions {
  commonName: string;
  /** Organisations (O=), e.g. a group name for client certificates. */
  organizations?: readonly string[];
  /** DNS names and IP addresses for the subjectAltName (IPs are recognised by syntax). */
  sans?: readonly string[];
  /** Extended key usages. Default ['server']. */
  usages?: readonly ('server' | 'client')[];
  /** Validity in days. Default LEAF_VALIDITY_DAYS. */
  validityDays?: number;
  /** Clock (ms). Default Date.now. */
  now?: number;
}

/** A new ECDSA P-256 key: PEM (PKCS#8) and the DER SubjectPublicKeyInfo. */
function newKey(): { pem: string; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const A = forge.asn1;
/** AlgorithmIdentifier ecdsa-with-SHA256 (no parameters, RFC 5758). */
const ecdsaAlgorithm = () => A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [A.create(A.Class.UNIVERSAL, A.Type.OID, false, A.oidToDer(ECDSA_SHA256).getBytes())]);
/** forge can only encode RSA public keys: fields are filled with this placeholder and the real SPKI is swapped in. */
const PLACEHOLDER_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('c0ffee', 16), new forge.jsbn.BigInteger('65537', 10));
/** Subject key identifier: SHA-1 of the SubjectPublicKeyInfo (RFC 5280 4.2.1.2 allows any unique method). */
const keyId = (spki: Buffer) => createHash('sha1').update(spki).digest('binary');

/**
 * Encodes `cert` (subject, issuer, validity, extensions set) with the public key `spki`,
 * signed ECDSA-SHA256 by `signerPem` through node:crypto, as PEM.
 */
function signCert(cert: forge.pki.Certificate, spki: Buffer, signerPem: string, issuerDn?: forge.asn1.Asn1): string {
  cert.publicKey = PLACEHOLDER_KEY;
  // A placeholder as well: fields[2] below becomes ecdsa-with-SHA256.
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // Present in node-forge, missing from its type declarations.
  const tbs = (forge.pki as unknown as { getTBSCertificate(x: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = ecdsaAlgorithm();
  fields[6] = A.fromDer(spki.toString('binary'));
  if (issuerDn !== undefined) fields[3] = issuerDn;
  const sig = createSign('sha256').update(Buffer.from(A.toDer(tbs).getBytes(), 'binary')).sign(signerPem);
  const whole = A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [tbs, ecdsaAlgorithm(), A.create(A.Class.UNIVERSAL, A.Type.BITSTRING, false, `\x00${sig.toString('binary')}`)]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: A.toDer(whole).getBytes() });
}

function serial(): string {
  // Positive 128-bit serial (first bit cleared so the DER INTEGER stays positive).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function sanEntries(sans: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return [...new Set(sans)].filter((s) => s !== '').map((s) => (isIP(s) !== 0 ? { type: 7, ip: s } : { type: 2, value: s }));
}

function validity(cert: forge.pki.Certificate, now: number, days: number): void {
  // Backdated by an hour so clocks slightly behind still accept a fresh certificate.
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

/** Creates a self-signed CA certificate and key. */
export function createCa(commonName = 'vigil-ca', now = Date.now()): CertAndKey {
  const k = newKey();
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial();
  validity(cert, now, CA_VALIDITY_DAYS);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier', value: A.create(A.Class.UNIVERSAL, A.Type.OCTETSTRING, false, keyId(k.spki)) },
  ]);
  return { certPem: signCert(cert, k.spki, k.pem), keyPem: k.pem };
}

/** Issues a leaf certificate signed by `ca`. */
export function issueCert(ca: CertAndKey, o: IssueOptions): CertAndKey {
  const caX = new X509Certificate(ca.certPem);
  const caSpki = caX.publicKey.export({ type: 'spki', format: 'der' });
  const k = newKey();
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial();
  validity(cert, o.now ?? Date.now(), o.validityDays ?? LEAF_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: o.commonName }, ...(o.organizations ?? []).map((v) => ({ name: 'organizationName', value: v }))]);
  // The issuer is the CA's subject, byte for byte (certificate -> tbsCertificate -> subject).
  const caTbs = (A.fromDer(caX.raw.toString('binary')).value as forge.asn1.Asn1[])[0]!;
  const issuerDn = (caTbs.value as forge.asn1.Asn1[])[5]!;
  cert.setIssuer([{ name: 'commonName', value: 'placeholder' }]);
  const usages = o.usages ?? ['server'];
  const ext: Record<string, unknown>[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usages.includes('server'), clientAuth: usages.includes('client') },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyId(caSpki) },
  ];
  const sans = sanEntries(o.sans ?? []);
  if (sans.length > 0) ext.push({ name: 'subjectAltName', altNames: sans });
  cert.setExtensions(ext);
  return { certPem: signCert(cert, k.spki, ca.keyPem, issuerDn), keyPem: k.pem };
}

/** `sha256:<hex>` of the DER SubjectPublicKeyInfo of the certificate `certPem` (kubeadm's --discovery-token-ca-cert-hash). */
export function caCertHash(certPem: string): string {
  const spki = createPublicKey(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' })).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The CA files in `dir`. */
export function caPaths(dir: string): { cert: string; key: string } {
  return { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
}

/** Writes a key file with mode 0600 (also tightening an existing file). */
export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Loads the CA from `dir` (`ca.crt`, `ca.key`) or creates it there when neither exists.
 * Throws `PkiError` when only one of the two exists, when they do not parse, or when the key
 * does not belong to the certificate.
 */
export function loadOrCreateCa(dir: string, now = Date.now()): { ca: CertAndKey; created: boolean } {
  const p = caPaths(dir);
  const hasCert = existsSync(p.cert);
  const hasKey = existsSync(p.key);
  if (!hasCert && !hasKey) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = createCa('vigil-ca', now);
    writePrivate(p.key, ca.keyPem);
    writeFileSync(p.cert, ca.certPem, { mode: 0o644 });
    return { ca, created: true };
  }
  if (!hasCert || !hasKey) throw new PkiError(`${dir}: found ${hasCert ? 'ca.crt' : 'ca.key'} without ${hasCert ? 'ca.key' : 'ca.crt'}; restore the missing file or remove both to create a new CA`);
  const ca = { certPem: readFileSync(p.cert, 'utf8'), keyPem: readFileSync(p.key, 'utf8') };
  let x: X509Certificate;
  try {
    x = new X509Certificate(ca.certPem);
  } catch (e) {
    throw new PkiError(`${p.cert}: not a PEM certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    if (!x.checkPrivateKey(createPrivateKey(ca.keyPem))) throw new PkiError(`${p.key}: the key does not belong to ${p.cert}`);
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw new PkiError(`${p.key}: not a PEM private key: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!x.ca) throw new PkiError(`${p.cert}: not a CA certificate (basicConstraints CA:FALSE)`);
  return { ca, created: false };
}
