package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A signed configuration bundle an operator pushes to every node ({@code postern config push}):
 * the live settings text, the access map, the TLS policy map and the listener's TLS files
 * (certificates with their keys, CA file, CRL), each optional, with a version,
 * the operator key that signed it, when, and an Ed25519 signature over {@link #canonical()}.
 *
 * <p>Published on {@link #ADDRESS}; every node checks the signature against its own trusted
 * operator keys before anything else, and answers with a {@link ConfigPushResult} sent to
 * {@link #replyTo()}. The reply address is routing only and is not signed: a forger who changes it
 * can at most divert the acknowledgements, never change what a node applies.
 *
 * @param version monotonic, at least 1; a node refuses a version not newer than the one in force
 * @param author the signing key's id, 16 lower-case hex digits (the start of the SHA-256 of its
 *     public key)
 * @param issuedAt when it was signed, milliseconds since the epoch
 * @param settings {@code key = value} lines, or null for none
 * @param accessMap the access map text, or null for no access map
 * @param tlsPolicyMap the TLS policy map text, or null for none
 * @param tls server certificates with their keys, and the client-certificate CA file and CRL,
 *     or null for none (the node's own {@code tls.*} files then serve)
 * @param signature base64 of the 64-byte Ed25519 signature, or empty when unsigned (refused by nodes)
 * @param replyTo where results go, or empty when nobody waits (a node applying at start)
 * @param replace whether the operator asked for exactly these files ({@code --replace}, or a
 *     rollback): without it a node refuses a bundle that leaves out a part of the configuration in
 *     force there (the access map, the TLS policy map, pushed settings or TLS files), as dropping it
 *     is far more often an accident than the intent
 */
public record ConfigPush(long version, String author, long issuedAt, Text settings, Text accessMap,
    Text tlsPolicyMap, TlsFiles tls, String signature, String replyTo, boolean replace) {

  public static final String ADDRESS = "postern.config.push.v1";

  /** Bound on all three texts together, in UTF-8 octets; the admin API limits its body to match. */
  public static final int MAX_TEXT = 16 << 20;

  private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern REPLY_TO = Pattern.compile("|postern\\.config\\.replies\\.[0-9a-f-]{36}");
  private static final String DOMAIN = "postern-config-push-v1\n";

  /**
   * One file of the bundle.
   *
   * @param name what errors and rules call it: the file's base name as the operator gave it
   */
  public record Text(String name, String text) {
    public Text {
      if (name == null || !name.matches("[A-Za-z0-9._+-]{1,100}")) {
        throw new IllegalArgumentException("a pushed file name is 1 to 100 of A-Z a-z 0-9 . _ + -, got '"
            + (name == null ? "" : name.length() > 100 ? name.substring(0, 100) + "..." : name) + "'");
      }
      if (text == null) {
        throw new IllegalArgumentException(name + ": no text");
      }
    }

    JsonObject toJson() {
      return new JsonObject().put("name", name).put("text", text);
    }

    static Text fromJson(JsonObject o, String key) {
      Object v = o.getValue(key);
      if (v == null) {
        return null;
      }
      JsonObject j = Json.object(o, key);
      return new Text(Json.string(j, "name"), Json.string(j, "text"));
    }
  }

  /**
   * One server certificate chain and its private key, as PEM text. The signature covers the key
   * by its SHA-256 ({@link #keySha256}), so the key itself can be left out of a stored copy
   * ({@link #withoutKey}) and the copy still verifies: the cluster's history, which Hazelcast
   * replicates in plaintext, never holds a key.
   *
   * @param name what errors call it: the chain file's base name as the operator gave it
   * @param chain the certificate, then its chain
   * @param key the private key, or empty in a stored copy (a node then uses the key it kept)
   * @param keySha256 64 lower-case hex digits: the SHA-256 of the key's UTF-8 octets
   */
  public record Certificate(String name, String chain, String key, String keySha256) {
    public Certificate {
      new Text(name, chain == null ? "" : chain); // the same name rules as every pushed file
      if (chain == null || chain.isEmpty()) {
        throw new IllegalArgumentException(name + ": no certificate chain");
      }
      key = key == null ? "" : key;
      if (keySha256 == null || keySha256.isEmpty()) {
        if (key.isEmpty()) {
          throw new IllegalArgumentException(name + ": neither a key nor the SHA-256 of one");
        }
        keySha256 = sha256(key);
      }
      if (!keySha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException(name + ": the key's SHA-256 must be 64 lower-case hex digits");
      }
      if (!key.isEmpty() && !keySha256.equals(sha256(key))) {
        throw new IllegalArgumentException(name + ": the key does not have the SHA-256 the bundle states");
      }
    }

    /** A chain and its key, with the key's SHA-256 computed. */
    public Certificate(String name, String chain, String key) {
      this(name, chain, key, null);
    }

    public boolean hasKey() {
      return !key.isEmpty();
    }

    public Certificate withoutKey() {
      return new Certificate(name, chain, "", keySha256);
    }

    /** Never prints the key (a record's default toString would). */
    @Override
    public String toString() {
      return "Certificate[" + name + ", key sha256 " + keySha256 + (hasKey() ? "" : ", key not carried") + "]";
    }

    JsonObject toJson() {
      return new JsonObject().put("name", name).put("chain", chain).put("key", key).put("keySha256", keySha256);
    }

    static Certificate fromJson(JsonObject o) {
      return new Certificate(Json.string(o, "name"), Json.string(o, "chain"), Json.optString(o, "key"),
          Json.string(o, "keySha256"));
    }
  }

  /**
   * What a push carries for the inbound listener's TLS: the server certificates (the first is the
   * primary, as {@code tls.cert_chain}; the others as {@code tls.more_certificates}), and the CA
   * file and CRL client certificates are checked against. Each part replaces the node's own file;
   * an empty list or a null text leaves that part to the node's own configuration.
   */
  public record TlsFiles(List<Certificate> certificates, Text caFile, Text crlFile) {
    /** At most this many certificates; a server has one or two (ECDSA and RSA), a few more for SNI. */
    public static final int MAX_CERTIFICATES = 16;

    public TlsFiles {
      certificates = List.copyOf(certificates == null ? List.of() : certificates);
      if (certificates.size() > MAX_CERTIFICATES) {
        throw new IllegalArgumentException("at most " + MAX_CERTIFICATES + " certificates, got " + certificates.size());
      }
      if (certificates.stream().map(Certificate::name).distinct().count() != certificates.size()) {
        throw new IllegalArgumentException("two pushed certificates have the same name");
      }
      if (certificates.isEmpty() && caFile == null && crlFile == null) {
        throw new IllegalArgumentException("TLS files with nothing in them: leave them out instead");
      }
    }

    /** A copy without private keys, for the cluster's history. */
    public TlsFiles withoutKeys() {
      return new TlsFiles(certificates.stream().map(Certificate::withoutKey).toList(), caFile, crlFile);
    }

    long octets() {
      long n = 0;
      for (Certificate c : certificates) {
        n += utf8(c.chain()) + utf8(c.key());
      }
      return n + (caFile == null ? 0 : utf8(caFile.text())) + (crlFile == null ? 0 : utf8(crlFile.text()));
    }

    JsonObject toJson() {
      JsonObject o = new JsonObject().put("certificates",
          new JsonArray(certificates.stream().map(Certificate::toJson).toList()));
      if (caFile != null) {
        o.put("caFile", caFile.toJson());
      }
      if (crlFile != null) {
        o.put("crlFile", crlFile.toJson());
      }
      return o;
    }

    static TlsFiles fromJson(JsonObject o) {
      List<Certificate> certs = new ArrayList<>();
      for (Object c : Json.array(o, "certificates")) {
        if (!(c instanceof JsonObject j)) {
          throw new IllegalArgumentException("field 'certificates' must hold objects");
        }
        certs.add(Certificate.fromJson(j));
      }
      return new TlsFiles(certs, Text.fromJson(o, "caFile"), Text.fromJson(o, "crlFile"));
    }
  }

  /** A bundle without TLS files, as pushes were before certificates could be pushed. */
  public ConfigPush(long version, String author, long issuedAt, Text settings, Text accessMap, Text tlsPolicyMap,
      String signature, String replyTo) {
    this(version, author, issuedAt, settings, accessMap, tlsPolicyMap, null, signature, replyTo);
  }

  /** A bundle that must not leave out what is in force (no {@code --replace}). */
  public ConfigPush(long version, String author, long issuedAt, Text settings, Text accessMap, Text tlsPolicyMap,
      TlsFiles tls, String signature, String replyTo) {
    this(version, author, issuedAt, settings, accessMap, tlsPolicyMap, tls, signature, replyTo, false);
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public ConfigPush {
    if (version < 1) {
      throw new IllegalArgumentException("version must be at least 1, got " + version);
    }
    if (author == null || !KEY_ID.matcher(author).matches()) {
      throw new IllegalArgumentException("author must be a key id of 16 lower-case hex digits");
    }
    if (issuedAt < 0) {
      throw new IllegalArgumentException("issuedAt must not be negative");
    }
    long size = tls == null ? 0 : tls.octets();
    for (Text t : new Text[] {settings, accessMap, tlsPolicyMap}) {
      size += t == null ? 0 : utf8(t.text());
    }
    if (size > MAX_TEXT) {
      throw new IllegalArgumentException("the pushed files hold " + size + " octets; at most " + MAX_TEXT);
    }
    if (signature == null) {
      signature = "";
    }
    if (!signature.isEmpty()) {
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(signature);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("signature is not base64");
      }
      if (raw.length != 64) {
        throw new IllegalArgumentException("an Ed25519 signature is 64 octets, got " + raw.length);
      }
    }
    if (replyTo == null) {
      replyTo = "";
    }
    if (!REPLY_TO.matcher(replyTo).matches()) {
      throw new IllegalArgumentException("replyTo must be postern.config.replies.<uuid>");
    }
  }

  /**
   * The octets the signature covers: a domain tag, then each field on its own line, texts
   * prefixed by their length in octets, so no two different bundles encode alike. Everything but
   * the signature and the reply address; private keys by their SHA-256. A bundle without TLS files
   * encodes as it did before they existed, and one without {@code replace} as before that flag.
   */
  public byte[] canonical() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, DOMAIN);
    write(out, "version " + version + "\nauthor " + author + "\nissued " + issuedAt + "\n");
    slot(out, "settings", settings);
    slot(out, "access", accessMap);
    slot(out, "tls_policy", tlsPolicyMap);
    if (tls != null) {
      write(out, "certificates " + tls.certificates().size() + "\n");
      for (Certificate c : tls.certificates()) {
        slot(out, "certificate", new Text(c.name(), c.chain()));
        write(out, "key_sha256 " + c.keySha256() + "\n");
      }
      slot(out, "ca_file", tls.caFile());
      slot(out, "crl_file", tls.crlFile());
    }
    if (replace) {
      write(out, "replace yes\n");
    }
    return out.toByteArray();
  }

  private static void slot(ByteArrayOutputStream out, String slot, Text t) {
    if (t == null) {
      write(out, slot + " -\n");
      return;
    }
    byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
    byte[] text = t.text().getBytes(StandardCharsets.UTF_8);
    write(out, slot + " " + name.length + ":");
    out.writeBytes(name);
    write(out, " " + text.length + ":");
    out.writeBytes(text);
    write(out, "\n");
  }

  private static void write(ByteArrayOutputStream out, String ascii) {
    out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  /** Whether it carries a signature at all. */
  public boolean signed() {
    return !signature.isEmpty();
  }

  public ConfigPush withSignature(String base64) {
    return new ConfigPush(version, author, issuedAt, settings, accessMap, tlsPolicyMap, tls, base64, replyTo, replace);
  }

  public ConfigPush withReplyTo(String address) {
    return new ConfigPush(version, author, issuedAt, settings, accessMap, tlsPolicyMap, tls, signature, address,
        replace);
  }

  /**
   * The same files as a new, unsigned bundle that replaces whatever is in force: for a rollback,
   * which the operator signs anew. Keys a stored copy left out stay out: each node uses the key it
   * kept when it applied the original.
   */
  public ConfigPush reissue(long newVersion, String newAuthor, long newIssuedAt) {
    return new ConfigPush(newVersion, newAuthor, newIssuedAt, settings, accessMap, tlsPolicyMap, tls, "", "", true);
  }

  /** The copy the cluster's history keeps: the same signed bundle, without private keys. */
  public ConfigPush withoutKeys() {
    return tls == null ? this
        : new ConfigPush(version, author, issuedAt, settings, accessMap, tlsPolicyMap, tls.withoutKeys(), signature,
            replyTo, replace);
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("version", version).put("author", author).put("issuedAt", issuedAt)
        .put("signature", signature).put("replyTo", replyTo);
    if (settings != null) {
      o.put("settings", settings.toJson());
    }
    if (accessMap != null) {
      o.put("accessMap", accessMap.toJson());
    }
    if (tlsPolicyMap != null) {
      o.put("tlsPolicyMap", tlsPolicyMap.toJson());
    }
    if (tls != null) {
      o.put("tls", tls.toJson());
    }
    if (replace) {
      o.put("replace", true);
    }
    return o;
  }

  public static ConfigPush fromJson(JsonObject o) {
    String signature = Json.optString(o, "signature");
    String replyTo = Json.optString(o, "replyTo");
    return new ConfigPush(Json.number(o, "version"), Json.string(o, "author"), Json.number(o, "issuedAt"),
        Text.fromJson(o, "settings"), Text.fromJson(o, "accessMap"), Text.fromJson(o, "tlsPolicyMap"),
        o.getValue("tls") == null ? null : TlsFiles.fromJson(Json.object(o, "tls")), signature, replyTo,
        replace(o));
  }

  private static boolean replace(JsonObject o) {
    Object v = o.getValue("replace");
    if (v != null && !(v instanceof Boolean)) {
      throw new IllegalArgumentException("field 'replace' must be true or false");
    }
    return Boolean.TRUE.equals(v);
  }

  public static final JsonCodec<ConfigPush> CODEC =
      new JsonCodec<>(ADDRESS, ConfigPush.class, ConfigPush::toJson, ConfigPush::fromJson);
}
