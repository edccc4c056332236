package org.postern.bus;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * A signed configuration bundle an operator pushes to every node ({@code postern config push}):
 * the live settings text, the access map and the TLS policy map, each optional, with a version,
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
 * @param signature base64 of the 64-byte Ed25519 signature, or empty when unsigned (refused by nodes)
 * @param replyTo where results go, or empty when nobody waits (a node applying at start)
 */
public record ConfigPush(long version, String author, long issuedAt, Text settings, Text accessMap,
    Text tlsPolicyMap, String signature, String replyTo) {

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
    long size = 0;
    for (Text t : new Text[] {settings, accessMap, tlsPolicyMap}) {
      size += t == null ? 0 : t.text().getBytes(StandardCharsets.UTF_8).length;
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
   * the signature and the reply address.
   */
  public byte[] canonical() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, DOMAIN);
    write(out, "version " + version + "\nauthor " + author + "\nissued " + issuedAt + "\n");
    slot(out, "settings", settings);
    slot(out, "access", accessMap);
    slot(out, "tls_policy", tlsPolicyMap);
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
    return new ConfigPush(version, author, issuedAt, settings, accessMap, tlsPolicyMap, base64, replyTo);
  }

  public ConfigPush withReplyTo(String address) {
    return new ConfigPush(version, author, issuedAt, settings, accessMap, tlsPolicyMap, signature, address);
  }

  /** The same files as a new, unsigned bundle: for a rollback, which the operator signs anew. */
  public ConfigPush reissue(long newVersion, String newAuthor, long newIssuedAt) {
    return new ConfigPush(newVersion, newAuthor, newIssuedAt, settings, accessMap, tlsPolicyMap, "", "");
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
    return o;
  }

  public static ConfigPush fromJson(JsonObject o) {
    String signature = Json.optString(o, "signature");
    String replyTo = Json.optString(o, "replyTo");
    return new ConfigPush(Json.number(o, "version"), Json.string(o, "author"), Json.number(o, "issuedAt"),
        Text.fromJson(o, "settings"), Text.fromJson(o, "accessMap"), Text.fromJson(o, "tlsPolicyMap"),
        signature, replyTo);
  }

  public static final JsonCodec<ConfigPush> CODEC =
      new JsonCodec<>(ADDRESS, ConfigPush.class, ConfigPush::toJson, ConfigPush::fromJson);
}
