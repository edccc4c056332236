package org.postern.node.push;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.config.ConfigException;
import org.postern.config.Settings;
import org.postern.tls.KeyFiles;

/**
 * Operator signing keys: Ed25519 (in the JDK since 15, so no provider is needed), stored as PEM
 * ({@code PUBLIC KEY}, X.509 SubjectPublicKeyInfo; {@code PRIVATE KEY}, PKCS#8), and named by a
 * key id: the first 8 octets of the SHA-256 of the public key's encoding, in hex. All methods
 * block (files, key generation): call them from the command line or a worker.
 */
public final class OperatorKeys {

  static final String ALGORITHM = "Ed25519";

  private OperatorKeys() {}

  /** The id that pushes name their author by. */
  public static String id(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * Makes a key pair in {@code dir} (created 0700): {@code NAME.key} (0600) and {@code NAME.pub}.
   * Refuses to overwrite an existing key.
   *
   * @return the public key
   */
  public static PublicKey generate(Path dir, String name) throws IOException {
    Path key = dir.resolve(name + ".key");
    Path pub = dir.resolve(name + ".pub");
    if (Files.exists(key) || Files.exists(pub)) {
      throw new IOException((Files.exists(key) ? key : pub) + " exists; remove it or choose another --name");
    }
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is missing from this JDK", e);
    }
    KeyFiles.ensurePrivateDirectory(dir);
    KeyFiles.writePrivate(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    Files.writeString(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII);
    return pair.getPublic();
  }

  /** Reads an operator's public key. */
  public static PublicKey readPublic(Path file) throws IOException {
    byte[] der = unpem(file, "PUBLIC KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an Ed25519 public key");
    }
  }

  /** Reads an operator's private key, refusing one that group or others can read. */
  public static PrivateKey readPrivate(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    KeyFiles.checkPermissions(file);
    byte[] der = unpem(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an Ed25519 private key");
    }
  }

  /**
   * The keys {@code cluster.operator_keys} names, by id. Each entry is a file, or a directory and
   * a file name with {@code *} in it ({@code /etc/postern/operators/*.pub}).
   *
   * @throws ConfigException naming the key and the file that cannot be used, or a pattern that matches nothing
   */
  public static Map<String, PublicKey> trusted(List<String> entries) throws ConfigException {
    Map<String, PublicKey> keys = new LinkedHashMap<>();
    String setting = Settings.CLUSTER_OPERATOR_KEYS.key();
    for (String entry : entries) {
      Path p = Path.of(entry);
      String glob = p.getFileName() == null ? "" : p.getFileName().toString();
      List<Path> files;
      try {
        files = glob.contains("*") ? list(p.getParent() == null ? Path.of(".") : p.getParent(), glob) : List.of(p);
      } catch (IOException e) {
        throw new ConfigException(setting + ": " + entry + ": cannot list the directory: " + e.getMessage());
      }
      if (files.isEmpty()) {
        throw new ConfigException(setting + ": " + entry + ": matches no file");
      }
      for (Path f : files) {
        try {
          PublicKey k = readPublic(f);
          keys.put(id(k), k);
        } catch (NoSuchFileException e) {
          throw new ConfigException(setting + ": " + f + ": no such file");
        } catch (IOException e) {
          throw new ConfigException(setting + ": " + e.getMessage());
        }
      }
    }
    return keys;
  }

  private static List<Path> list(Path dir, String glob) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      List<Path> out = new java.util.ArrayList<>();
      ds.forEach(out::add);
      out.sort(null);
      return out;
    }
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }

  private static byte[] unpem(Path file, String label) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new IOException(file + ": no PEM " + label + " found");
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new IOException(file + ": bad base64 in the PEM " + label);
    }
  }
}
