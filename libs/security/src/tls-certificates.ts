import "reflect-metadata";
import { webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PEM texts of a certificate and its private key. */
export interface PemPair {
  cert: string;
  key: string;
}

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/**
 * A private certificate authority and a server certificate it signs, for a fleet that has no
 * PKI of its own (the local fleet with `--tls`). A real deployment brings its own (cert-manager,
 * files; docs/security.md).
 */
export async function makeFleetCertificates(
  hosts: readonly string[] = ["127.0.0.1", "localhost", "::1"],
  validForMs = YEAR_MS,
): Promise<{ ca: PemPair; server: PemPair }> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validForMs);
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=SpecFleet fleet CA",
    notBefore,
    notAfter,
    keys: caKeys as CryptoKeyPair,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=SpecFleet NATS",
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: (serverKeys as CryptoKeyPair).publicKey,
    signingKey: (caKeys as CryptoKeyPair).privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: "ip", value: host } : { type: "dns", value: host })),
      ),
    ],
  });
  return {
    ca: { cert: caCert.toString("pem"), key: await keyPem((caKeys as CryptoKeyPair).privateKey) },
    server: { cert: serverCert.toString("pem"), key: await keyPem((serverKeys as CryptoKeyPair).privateKey) },
  };
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString("hex");
}
