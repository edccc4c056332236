package org.postern.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads trusted CA certificates from a PEM bundle and a directory of PEM files (OpenSSL's CAfile
 * and CApath), for whichever side verifies a peer. Blocking.
 */
public final class CaCertificates {

  /** What a CA directory holds: .pem/.crt files and c_rehash's hash links. */
  private static final Pattern CA_PATH_FILE = Pattern.compile("(?i).+\\.(pem|crt)|[0-9a-f]{8}\\.[0-9]+");

  private CaCertificates() {}

  /**
   * The CAs in {@code file} and {@code dir}; an empty string skips either.
   *
   * @param fileKey the setting that named {@code file}, for error messages
   * @param dirKey the setting that named {@code dir}
   * @throws IOException naming the file or directory that is missing, unreadable or not PEM
   */
  public static Set<X509Certificate> load(String file, String fileKey, String dir, String dirKey) throws IOException {
    Set<X509Certificate> cas = new LinkedHashSet<>();
    if (!file.isEmpty()) {
      Path f = Path.of(file);
      cas.addAll(certificates(f, ServerCredentials.read(f, fileKey)));
    }
    if (!dir.isEmpty()) {
      cas.addAll(directory(Path.of(dir), dirKey));
    }
    return cas;
  }

  private static Set<X509Certificate> directory(Path dir, String key) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(key + " " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    // Sorted, so a CA that appears under two names is read the same way on every start.
    Set<Path> files = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (CA_PATH_FILE.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    } catch (NotDirectoryException | NoSuchFileException e) {
      throw new IOException(key + " " + dir + " is not a readable directory", e);
    } catch (AccessDeniedException e) {
      throw new IOException(key + " " + dir + " is not readable by this user", e);
    }
    Set<X509Certificate> cas = new LinkedHashSet<>();
    for (Path f : files) {
      cas.addAll(certificates(f, ServerCredentials.read(f, key)));
    }
    return cas;
  }

  static List<X509Certificate> certificates(Path file, String text) throws IOException {
    try {
      List<X509Certificate> certs = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
          new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)))) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new IOException(file + ": no certificate found");
      }
      return certs;
    } catch (CertificateException e) {
      throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
    }
  }
}
