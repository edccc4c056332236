package org.postern.node.migrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.config.Setting;
import org.postern.config.Settings;

/**
 * What a conversion produced: Postern settings (each with the source line it came from), extra
 * files (policy maps), and every source parameter that was not carried over, with the reason.
 */
public final class ImportResult {

  /** A Postern setting and where its value came from. */
  public record Value(String value, String origin) {}

  /** A source parameter left behind; {@code needed} false when Postern has no use for it. */
  public record Dropped(String where, String name, String reason, boolean needed) {
    String line() {
      return where + ": " + name + ": " + (needed ? "not carried over: " : "not needed: ") + reason;
    }
  }

  private final Map<String, Value> settings = new LinkedHashMap<>();
  private final Map<String, String> files = new LinkedHashMap<>();
  private final List<Dropped> dropped = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final java.util.Set<String> secrets = new java.util.HashSet<>();

  /**
   * Sets {@code key} if Postern accepts {@code value} for it; otherwise records why not, in
   * Postern's own words, and the node keeps its default.
   */
  public boolean set(String key, String value, String where, String name) {
    Setting<?> s = Settings.all().get(key);
    if (s == null) {
      throw new IllegalStateException("no such setting " + key);
    }
    try {
      s.parse(value);
    } catch (IllegalArgumentException e) {
      drop(where, name, key + " refuses '" + value + "': " + e.getMessage(), true);
      return false;
    }
    settings.put(key, new Value(value, where + " " + name));
    return true;
  }

  /**
   * Keeps a certificate and its key together, as the config loader requires. A certificate alone
   * takes its key from the same file when {@code keyInCertFile} (Postfix's default for its
   * {@code *_key_file}); otherwise the one set alone is left out, named.
   */
  public void pair(String certKey, String keyKey, boolean keyInCertFile) {
    Value cert = settings.get(certKey);
    Value key = settings.get(keyKey);
    if (cert != null && key == null && keyInCertFile) {
      settings.put(keyKey, new Value(cert.value(), cert.origin() + " (the key file defaults to the certificate file)"));
      notes.add(keyKey + ": no key file was given, so, as in Postfix, the key is expected in " + cert.value()
          + " beside the certificate");
    } else if (cert == null && key != null || cert != null && key == null) {
      Value alone = cert != null ? cert : key;
      settings.remove(cert != null ? certKey : keyKey);
      drop(alone.origin().split(" ")[0], alone.origin().substring(alone.origin().indexOf(' ') + 1),
          (cert != null ? certKey : keyKey) + " needs " + (cert != null ? keyKey : certKey) + " beside it, and the source"
              + " has none", true);
    }
  }

  public void drop(String where, String name, String reason, boolean needed) {
    dropped.add(new Dropped(where, name, reason, needed));
  }

  public void note(String line) {
    notes.add(line);
  }

  public void file(String name, String content) {
    files.put(name, content);
  }

  /** A file that holds secrets: written readable by its owner only. */
  public void secret(String name, String content) {
    files.put(name, content);
    secrets.add(name);
  }

  public boolean isSecret(String name) {
    return secrets.contains(name);
  }

  public Map<String, Value> settings() {
    return settings;
  }

  public Map<String, String> files() {
    return files;
  }

  public List<Dropped> dropped() {
    return dropped;
  }

  public List<String> notes() {
    return notes;
  }

  public boolean has(String key) {
    return settings.containsKey(key);
  }
}
