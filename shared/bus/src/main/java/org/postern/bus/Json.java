package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * JSON forms of the protocol types that contracts carry. Readers are strict: a missing or
 * mistyped field is an {@link IllegalArgumentException}, never a null that surfaces later.
 */
final class Json {

  private Json() {}

  static String string(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("field '" + key + "' must be a string");
    }
    return s;
  }

  /** Octets as the wire carries them in JSON: base64. */
  static String octets(io.vertx.core.buffer.Buffer b) {
    return java.util.Base64.getEncoder().encodeToString(b.getBytes());
  }

  static io.vertx.core.buffer.Buffer octets(JsonObject o, String key) {
    String text = string(o, key);
    try {
      return io.vertx.core.buffer.Buffer.buffer(java.util.Base64.getDecoder().decode(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field '" + key + "' is not base64");
    }
  }

  static String optString(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("field '" + key + "' must be a string");
    }
    return s;
  }

  static long number(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("field '" + key + "' must be a number");
    }
    return n.longValue();
  }

  static JsonArray array(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof JsonArray a)) {
      throw new IllegalArgumentException("field '" + key + "' must be an array");
    }
    return a;
  }

  static JsonObject object(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof JsonObject j)) {
      throw new IllegalArgumentException("field '" + key + "' must be an object");
    }
    return j;
  }

  static <E extends Enum<E>> E enumValue(JsonObject o, String key, Class<E> type) {
    return Enum.valueOf(type, string(o, key));
  }

  static String path(Path p) {
    return p.mailbox();
  }

  static Path path(JsonObject o, String key) {
    return Path.parseMailbox(string(o, key));
  }

  static JsonArray paths(List<Path> paths) {
    JsonArray a = new JsonArray();
    paths.forEach(p -> a.add(p.mailbox()));
    return a;
  }

  static List<Path> paths(JsonObject o, String key) {
    List<Path> out = new ArrayList<>();
    for (Object v : array(o, key)) {
      if (!(v instanceof String s)) {
        throw new IllegalArgumentException("field '" + key + "' must hold strings");
      }
      out.add(Path.parseMailbox(s));
    }
    return out;
  }

  static JsonObject params(Map<String, String> params) {
    JsonObject o = new JsonObject();
    params.forEach(o::put);
    return o;
  }

  static Map<String, String> params(JsonObject o, String key) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : object(o, key)) {
      if (!(e.getValue() instanceof String s)) {
        throw new IllegalArgumentException("parameter '" + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), s);
    }
    return out;
  }

  static JsonArray paramList(List<Map<String, String>> list) {
    JsonArray a = new JsonArray();
    list.forEach(m -> a.add(params(m)));
    return a;
  }

  static List<Map<String, String>> paramList(JsonObject o, String key) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Object v : array(o, key)) {
      if (!(v instanceof JsonObject j)) {
        throw new IllegalArgumentException("field '" + key + "' must hold objects");
      }
      out.add(params(new JsonObject().put("p", j), "p"));
    }
    return out;
  }

  static JsonObject reply(Reply r) {
    if (r == null) {
      return null;
    }
    return new JsonObject().put("code", r.code()).put("enhanced", r.enhanced())
        .put("lines", new JsonArray(new ArrayList<Object>(r.lines())));
  }

  static Reply reply(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject r)) {
      throw new IllegalArgumentException("field '" + key + "' must be a reply");
    }
    List<String> lines = new ArrayList<>();
    for (Object l : array(r, "lines")) {
      lines.add(String.valueOf(l));
    }
    return new Reply((int) number(r, "code"), optString(r, "enhanced"), lines);
  }

  static JsonObject tls(TlsFacts t) {
    if (t == null) {
      return null;
    }
    return new JsonObject().put("version", t.version()).put("cipher", t.cipher())
        .put("cipherBits", t.cipherBits()).put("algBits", t.algBits()).put("verify", t.verify().name())
        .put("certSubject", t.certSubject()).put("certIssuer", t.certIssuer())
        .put("cnSubject", t.cnSubject()).put("cnIssuer", t.cnIssuer());
  }

  static TlsFacts tls(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject t)) {
      throw new IllegalArgumentException("field '" + key + "' must be TLS facts");
    }
    return new TlsFacts(string(t, "version"), string(t, "cipher"), (int) number(t, "cipherBits"),
        (int) number(t, "algBits"), enumValue(t, "verify", Verify.class), string(t, "certSubject"),
        string(t, "certIssuer"), string(t, "cnSubject"), string(t, "cnIssuer"));
  }
}
