package org.postern.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.util.Locale;
import org.postern.tls.KeyFiles;

/**
 * Where the PKI keeps its files, under one directory ({@code --dir}, by default
 * {@code <node.data_dir>/pki}):
 *
 * <pre>
 * ca.crt                 the CA certificate: tls.ca_file
 * crl.pem                the current CRL: tls.crl_file
 * index.tsv, crlnumber   the CA database ({@link CaDatabase})
 * certs/NAME.crt         an issued certificate alone
 * certs/NAME.chain.pem   the same, then the CA: tls.cert_chain
 * csr/NAME.csr           a request for an outside CA
 * private/               0700: ca.key and NAME.key, each 0600; NAME.key unencrypted, ca.key
 *                        encrypted when init-ca was given a passphrase
 * </pre>
 *
 * <p>Every file is written to a temporary name and renamed into place, so a node watching
 * {@code tls.cert_chain} never reads half a file.
 */
public final class PkiDirectory {

  private final Path dir;

  public PkiDirectory(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path root() {
    return dir;
  }

  public Path caCertificate() {
    return dir.resolve("ca.crt");
  }

  public Path caKey() {
    return dir.resolve("private/ca.key");
  }

  public Path crl() {
    return dir.resolve("crl.pem");
  }

  Path index() {
    return dir.resolve("index.tsv");
  }

  Path crlNumber() {
    return dir.resolve("crlnumber");
  }

  public Path certificate(String name) {
    return dir.resolve("certs").resolve(name + ".crt");
  }

  public Path chain(String name) {
    return dir.resolve("certs").resolve(name + ".chain.pem");
  }

  public Path key(String name) {
    return dir.resolve("private").resolve(name + ".key");
  }

  public Path csr(String name) {
    return dir.resolve("csr").resolve(name + ".csr");
  }

  /**
   * A file name for a common name: host names stay as they are, a wildcard becomes
   * {@code wildcard.example.com}, anything else outside {@code [A-Za-z0-9._-]} becomes {@code _}.
   */
  public static String fileName(String commonName) {
    String n = commonName.strip().toLowerCase(Locale.ROOT).replace("*", "wildcard");
    n = n.replaceAll("[^a-z0-9._-]", "_");
    return n.isEmpty() || n.startsWith(".") ? "_" + n : n;
  }

  /**
   * Refuses to make a new key for {@code name} over one that is there: it is the live key of a
   * certificate in use, and any TLSA record of selector 1 names it. {@code force} allows it.
   *
   * @param renew the command that keeps the key, for the message
   * @throws PkiException naming the files and both ways on
   */
  void refuseNewKey(String name, boolean force, String renew) throws PkiException {
    if (force) {
      return;
    }
    for (Path p : new Path[] {key(name), certificate(name), csr(name)}) {
      if (Files.exists(p)) {
        throw new PkiException(name + " exists already (" + p + "); " + renew + "add --force to replace its key"
            + " (the live key: TLSA records of it stop matching)");
      }
    }
  }

  /** Writes a private key 0600 into the 0700 {@code private/} directory. */
  void writeKey(Path file, PrivateKey key) throws IOException {
    writeKey(file, key, null);
  }

  /** The same, encrypted with {@code passphrase} unless it is null. */
  void writeKey(Path file, PrivateKey key, Passphrase passphrase) throws IOException {
    KeyFiles.ensurePrivateDirectory(file.getParent());
    String pem = passphrase == null ? Pem.encode(key) : EncryptedKeys.encode(key, passphrase);
    KeyFiles.writePrivate(file, pem.getBytes(StandardCharsets.US_ASCII));
  }

  /** Writes a public file (certificate, CSR, CRL, index), mode 0644, by rename. */
  static void writePublic(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
