package org.postern.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.postern.config.TlsConfig;

/**
 * The server's certificate chain and key, as PEM, plus what the start log says about them.
 *
 * <p>With {@code tls.cert_chain} unset, a self-signed certificate is generated on first start and
 * kept in {@code <data_dir>/tls/} (key 0600, directory 0700), so later starts present the same
 * certificate and its fingerprint stays meaningful. Blocking: call from a worker or at start-up.
 */
public record ServerCredentials(
    String chainPem, String keyPem, List<X509Certificate> chain, String fingerprint, String source) {

  public X509Certificate leaf() {
    return chain.get(0);
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
    Path cert = dir.resolve("selfsigned.crt");
    Path key = dir.resolve("selfsigned.key");
    if (Files.exists(cert) && Files.exists(key)) {
      return load(cert, key, "self-signed " + cert);
    }
    KeyFiles.ensurePrivateDirectory(dir);
    SelfSignedCertificate.Generated g = SelfSignedCertificate.generate(hostname, Duration.ofDays(365));
    KeyFiles.writePrivate(key, g.keyPem().getBytes(StandardCharsets.US_ASCII));
    Files.writeString(cert, g.certificatePem(), StandardCharsets.US_ASCII);
    return load(cert, key, "self-signed " + cert + " (generated now)");
  }

  /** Loads a PEM chain and key, refusing a key file others can read. */
  public static ServerCredentials load(Path chainFile, Path keyFile, String source) throws IOException {
    String chainPem = read(chainFile, "certificate chain");
    KeyFiles.checkPermissions(keyFile);
    String keyPem = read(keyFile, "private key");
    if (!keyPem.contains("PRIVATE KEY-----")) {
      throw new IOException(keyFile + ": no PEM private key found");
    }
    List<X509Certificate> chain = parseChain(chainFile, chainPem);
    return new ServerCredentials(chainPem, keyPem, chain, Fingerprints.sha256(chain.get(0)), source);
  }

  static List<X509Certificate> parseChain(Path file, String pem) throws IOException {
    try {
      List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
          .stream().map(c -> (X509Certificate) c).toList();
      if (chain.isEmpty()) {
        throw new IOException(file + ": no PEM certificate found");
      }
      return chain;
    } catch (CertificateException e) {
      throw new IOException(file + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
  }

  private static String read(Path file, String what) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new IOException(what + " file " + file + " does not exist", e);
    }
  }
}
