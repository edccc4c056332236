package org.postern.pki;

import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * A certificate the PKI wrote, and where.
 *
 * @param certificate the new certificate
 * @param certificateFile the certificate alone
 * @param chainFile the certificate then its CA, for {@code tls.cert_chain}; for a self-signed
 *     certificate the same as {@code certificateFile}
 * @param keyFile its private key, or null when the key was not ours to write (a signed CSR)
 */
public record Issued(X509Certificate certificate, Path certificateFile, Path chainFile, Path keyFile) {}
