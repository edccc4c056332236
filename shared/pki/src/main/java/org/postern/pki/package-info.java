/**
 * The operator's own PKI, with Bouncy Castle instead of openssl and CA.pl: key generation (RSA
 * 2048 to 4096, ECDSA P-256 and P-384), a CA with its database of issued and revoked certificates,
 * server, client and node certificates with the right usages, self-signed certificates, CSRs for an
 * outside CA and the signing of CSRs by ours, CRLs, and a short report of any of these files.
 *
 * <p>Everything is PEM; private keys are written mode 0600 in a 0700 directory, unencrypted except
 * the CA key when a {@link org.postern.pki.Passphrase} is given ({@link org.postern.pki.EncryptedKeys}
 * says why only that one).
 * Every operation blocks (key generation takes up to seconds for RSA 4096, files are synced): call
 * from the command line or a worker thread, never an event loop. Errors caused by the input or the
 * directory's state are {@link org.postern.pki.PkiException}s, one line each.
 */
package org.postern.pki;
