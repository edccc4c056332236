package org.postern.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.postern.config.TlsConfig;

/**
 * One server certificate chain and its key, as PEM and parsed, plus what the start log says about
 * them.
 *
 * <p>With {@code tls.cert_chain} unset, a self-signed certificate is generated on first start and
 * kept in {@code <data_dir>/tls/} (key 0600, directory 0700), so later starts present the same
 * certificate and its fingerprint stays meaningful. Blocking: call from a worker or at start-up.
 *
 * @param chainPem the chain file's text, leaf first
 * @param keyPem the key file's text
 * @param chain the parsed chain, leaf first
 * @param fingerprint SHA-256 of the leaf, as {@link Fingerprints#sha256} prints it
 * @param source where it came from, for the start log
 * @param privateKey the parsed private key of the leaf
 */
public record ServerCredentials(
    String chainPem, String keyPem, List<X509Certificate> chain, String fingerprint, String source,
    PrivateKey privateKey) {

  private static final String SELF_SIGNED_CERT = "selfsigned.crt";
  private static final String SELF_SIGNED_KEY = "selfsigned.key";

  public ServerCredentials {
    chain = List.copyOf(chain);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** The leaf's key algorithm as the JDK names it: {@code EC} or {@code RSA}. */
  public String keyAlgorithm() {
    return privateKey.getAlgorithm();
  }

  /**
   * Every certificate the server presents: the primary pair ({@code tls.cert_chain} and
   * {@code tls.key}, or the self-signed one as {@link #loadOrCreate} makes it), then each
   * {@code chain key} pair of {@code tls.more_certificates}, in the configured order.
   *
   * @throws IOException naming the file or entry and what is wrong with it
   */
  public static List<ServerCredentials> loadAll(TlsConfig tls, Path dataDir, String hostname) throws IOException {
    List<ServerCredentials> all = new ArrayList<>();
    all.add(loadOrCreate(tls, dataDir, hostname));
    for (String entry : tls.moreCertificates().split(",")) {
      if (entry.isBlank()) {
        continue; // a trailing comma is not worth refusing to start over
      }
      String[] paths = entry.strip().split("\\s+");
      if (paths.length != 2) {
        throw new IOException("tls.more_certificates entry '" + entry.strip()
            + "' must be two paths separated by a space: chain.pem key.pem");
      }
      all.add(load(Path.of(paths[0]), Path.of(paths[1]), "tls.more_certificates " + paths[0]));
    }
    return List.copyOf(all);
  }

  /**
   * The files {@link #loadAll} reads, for a watcher that reloads them when they change: chain and
   * key of the primary pair (or the self-signed pair), then of each {@code tls.more_certificates}
   * entry. Malformed entries are left out; {@link #loadAll} reports them.
   */
  public static List<Path> files(TlsConfig tls, Path dataDir) {
    List<Path> files = new ArrayList<>();
    if (tls.selfSigned()) {
      files.add(dataDir.resolve("tls").resolve(SELF_SIGNED_CERT));
      files.add(dataDir.resolve("tls").resolve(SELF_SIGNED_KEY));
    } else {
      files.add(Path.of(tls.certChain()));
      files.add(Path.of(tls.key()));
    }
    for (String entry : tls.moreCertificates().split(",")) {
      String[] paths = entry.strip().split("\\s+");
      if (paths.length == 2) {
        files.add(Path.of(paths[0]));
        files.add(Path.of(paths[1]));
      }
    }
    return List.copyOf(files);
  }

  /**
   * Refuses, before anything is loaded, any existing key file of {@link #files} that group or
   * others can read, or that is encrypted: both are deployment mistakes that stop the node, where
   * a merely broken pair only turns STARTTLS off. A missing file is left to {@link #loadAll}, which
   * reports it.
   *
   * @throws KeyFiles.InsecureKeyFileException naming the file and the chmod that fixes it
   * @throws PrivateKeys.EncryptedKeyFileException naming the file and the command that decrypts it
   */
  public static void checkKeyFiles(TlsConfig tls, Path dataDir) throws IOException {
    List<Path> files = files(tls, dataDir);
    for (int i = 1; i < files.size(); i += 2) {
      if (Files.exists(files.get(i))) {
        KeyFiles.checkPermissions(files.get(i));
        PrivateKeys.refuseEncrypted(files.get(i));
      }
    }
  }

  /**
   * Loads the configured files, or the self-signed pair under {@code dataDir/tls}, generating it if
   * it does not exist yet.
   *
   * @throws IOException with an operator-readable message: missing file, bad permissions, bad PEM
   */
  public static ServerCredentials loadOrCreate(TlsConfig tls, Path dataDir, String hostname) throws IOException {
    if (!tls.selfSigned()) {
      return load(Path.of(tls.certChain()), Path.of(tls.key()), "tls.cert_chain " + tls.certChain());
    }
    Path dir = dataDir.resolve("tls");
    Path cert = dir.resolve(SELF_SIGNED_CERT);
    Path key = dir.resolve(SELF_SIGNED_KEY);
    if (Files.exists(cert) && Files.exists(key)) {
      return load(cert, key, "self-signed " + cert);
    }
    KeyFiles.ensurePrivateDirectory(dir);
    SelfSignedCertificate.Generated g = SelfSignedCertificate.generate(hostname, Duration.ofDays(365));
    KeyFiles.writePrivate(key, g.keyPem().getBytes(StandardCharsets.US_ASCII));
    Files.writeString(cert, g.certificatePem(), StandardCharsets.US_ASCII);
    return load(cert, key, "self-signed " + cert + " (generated now)");
  }

  /**
   * Loads a PEM chain and key, refusing a key file others can read and a key that does not belong
   * to the chain's first certificate.
   */
  public static ServerCredentials load(Path chainFile, Path keyFile, String source) throws IOException {
    String chainPem = read(chainFile, "certificate chain");
    if (!Files.exists(keyFile)) {
      throw new IOException("private key file " + keyFile + " does not exist");
    }
    KeyFiles.checkPermissions(keyFile);
    String keyPem = read(keyFile, "private key");
    PrivateKey key = PrivateKeys.parse(keyFile, keyPem);
    List<X509Certificate> chain = parseChain(chainFile, chainPem);
    if (!PrivateKeys.matches(key, chain.get(0).getPublicKey())) {
      throw new IOException("private key " + keyFile + " does not belong to the first certificate in " + chainFile
          + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
    }
    return new ServerCredentials(chainPem, keyPem, chain, Fingerprints.sha256(chain.get(0)), source, key);
  }

  static List<X509Certificate> parseChain(Path file, String pem) throws IOException {
    try {
      List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.ISO_8859_1)))
          .stream().map(c -> (X509Certificate) c).toList();
      if (chain.isEmpty()) {
        throw new IOException(file + ": no PEM certificate found");
      }
      return chain;
    } catch (CertificateException e) {
      throw new IOException(file + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
  }

  static String read(Path file, String what) throws IOException {
    try {
      // Latin-1 maps every byte, so a binary (DER) file reaches the parser and gets its message
      // instead of a charset error.
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new IOException(what + " file " + file + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw new IOException(what + " file " + file + " is not readable by this user", e);
    } catch (IOException e) {
      throw new IOException("cannot read " + what + " file " + file + ": " + e, e);
    }
  }

  /** Never prints key material (a record's default toString would). */
  @Override
  public String toString() {
    return "ServerCredentials[" + source + ", " + leaf().getSubjectX500Principal().getName() + ", " + keyAlgorithm()
        + ", SHA-256 " + fingerprint + "]";
  }
}
