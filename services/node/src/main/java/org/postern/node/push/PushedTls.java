package org.postern.node.push;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.postern.bus.ConfigPush;
import org.postern.config.TlsConfig;
import org.postern.tls.KeyFiles;
import org.postern.tls.PushedTlsCheck;
import org.postern.tls.ServerCredentials;
import org.postern.tls.TlsEngine;

/**
 * The TLS files of a push on this node's disk, under {@code <node.data_dir>/tls/pushed/} (0700):
 * each version's chains, CA file and CRL in {@code v<N>/}, and private keys in {@code keys/}
 * (0600), named by their SHA-256. Keys are kept by digest because the cluster's history stores
 * bundles without them: a rollback, or this node's restart while the cluster runs, names a key by
 * its digest, and the node serves it again from here. Blocking: call on a worker.
 */
final class PushedTls {

  static final String DIR = "tls/pushed";

  private PushedTls() {}

  /**
   * Every problem with the bundle's TLS files and {@code tls}'s protocols and suites, each naming
   * the item or key; empty when a server context builds from them.
   *
   * @param serves whether this node has the inbound role: without it, a key the bundle does not
   *     carry is not looked for, and the chain alone is checked
   */
  static List<String> check(ConfigPush.TlsFiles files, TlsConfig tls, TlsEngine engine, Path dataDir, boolean serves) {
    List<String> problems = new ArrayList<>(PushedTlsCheck.settingsProblems(tls, engine));
    if (files == null) {
      return problems;
    }
    List<ServerCredentials> creds = new ArrayList<>();
    boolean complete = true;
    for (ConfigPush.Certificate c : files.certificates()) {
      try {
        String key = c.hasKey() ? c.key() : serves ? kept(dataDir, c) : null;
        if (key == null) {
          PushedTlsCheck.chain(c.name(), c.chain());
          complete = false;
        } else {
          creds.add(PushedTlsCheck.credentials(c.name(), c.chain(), key));
        }
      } catch (IOException e) {
        problems.add(e.getMessage());
        complete = false;
      }
    }
    if (complete && !creds.isEmpty() && problems.isEmpty()) {
      String context = PushedTlsCheck.contextProblem(creds, tls, engine);
      if (context != null) {
        problems.add(context);
      }
    }
    try {
      if (files.caFile() != null) {
        PushedTlsCheck.caFile(files.caFile().name(), files.caFile().text());
      }
      if (files.crlFile() != null) {
        PushedTlsCheck.crlFile(files.crlFile().name(), files.crlFile().text());
      }
    } catch (IOException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  /**
   * The key a bundle names by digest only, from {@code keys/}.
   *
   * @throws IOException when this node never received it, or the kept file was altered
   */
  private static String kept(Path dataDir, ConfigPush.Certificate c) throws IOException {
    Path file = keys(dataDir).resolve(c.keySha256() + ".key");
    if (!Files.exists(file)) {
      throw new IOException(c.name() + ": the bundle names its key by SHA-256 only (stored copies keep no keys)"
          + " and this node has not received that key before; push the certificate again with its key");
    }
    KeyFiles.checkPermissions(file);
    String key = Files.readString(file, StandardCharsets.UTF_8);
    if (!sha256(key).equals(c.keySha256())) {
      throw new IOException(c.name() + ": the kept key " + file + " no longer has the SHA-256 its name says;"
          + " remove it and push the certificate again with its key");
    }
    return key;
  }

  /**
   * Writes the bundle's TLS files for {@code version} and says which files now serve: {@code tls}
   * with the pushed certificates as {@code tls.cert_chain}, {@code tls.key} and
   * {@code tls.more_certificates}, and the pushed CA file and CRL, each where the bundle has one.
   */
  static TlsConfig write(long version, ConfigPush.TlsFiles files, TlsConfig tls, Path dataDir) throws IOException {
    if (files == null) {
      return tls;
    }
    Path root = dataDir.resolve(DIR);
    KeyFiles.ensurePrivateDirectory(root);
    Path keys = keys(dataDir);
    KeyFiles.ensurePrivateDirectory(keys);
    Path dir = root.resolve("v" + version);
    KeyFiles.ensurePrivateDirectory(dir);
    List<String[]> pairs = new ArrayList<>();
    for (int i = 0; i < files.certificates().size(); i++) {
      ConfigPush.Certificate c = files.certificates().get(i);
      Path key = keys.resolve(c.keySha256() + ".key");
      if (c.hasKey() && !Files.exists(key)) {
        KeyFiles.writePrivate(key, c.key().getBytes(StandardCharsets.UTF_8));
      }
      Path chain = dir.resolve(i + "-" + c.name());
      Files.writeString(chain, c.chain(), StandardCharsets.UTF_8);
      pairs.add(new String[] {chain.toString(), key.toString()});
    }
    String certChain = tls.certChain();
    String key = tls.key();
    String more = tls.moreCertificates();
    if (!pairs.isEmpty()) {
      certChain = pairs.get(0)[0];
      key = pairs.get(0)[1];
      List<String> rest = new ArrayList<>();
      for (String[] p : pairs.subList(1, pairs.size())) {
        if ((p[0] + p[1]).chars().anyMatch(Character::isWhitespace)) {
          throw new IOException("node.data_dir " + dataDir + " holds white space, which tls.more_certificates cannot"
              + " name; push one certificate, or move node.data_dir");
        }
        rest.add(p[0] + " " + p[1]);
      }
      more = String.join(", ", rest);
    }
    String caFile = tls.caFile();
    if (files.caFile() != null) {
      caFile = dir.resolve("ca-" + files.caFile().name()).toString();
      Files.writeString(Path.of(caFile), files.caFile().text(), StandardCharsets.UTF_8);
    }
    String crlFile = tls.crlFile();
    if (files.crlFile() != null) {
      crlFile = dir.resolve("crl-" + files.crlFile().name()).toString();
      Files.writeString(Path.of(crlFile), files.crlFile().text(), StandardCharsets.UTF_8);
    }
    return new TlsConfig(tls.engine(), certChain, key, more, caFile, tls.caPath(), crlFile, tls.ciphers(),
        tls.protocols(), tls.groups(), tls.expiryWarningDays(), tls.reloadInterval());
  }

  private static Path keys(Path dataDir) {
    return dataDir.resolve(DIR).resolve("keys");
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
