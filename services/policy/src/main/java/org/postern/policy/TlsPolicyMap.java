package org.postern.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postern.smtp.TlsLevel;

/**
 * Postfix's smtp_tls_policy_maps, compiled into a {@link PolicyModel}: {@code destination level
 * [match=...]} per line, for example
 *
 * <pre>
 * example.com               encrypt
 * .example.com              verify  match=hostname:dot-nexthop
 * [mail.example.org]:587    secure  match=mail.example.org
 * [192.0.2.25]              fingerprint match=3D:1F:...:9A|7C:02:...:E1
 * legacy.example            none
 * </pre>
 *
 * Levels: none, may, encrypt, verify, secure, fingerprint. Attributes Postern does not implement
 * ({@code protocols=}, {@code ciphers=}, {@code tafile=}, dane) are errors, never silently ignored.
 */
final class TlsPolicyMap {

  private TlsPolicyMap() {}

  static List<String> compileInto(PolicyModel.Builder model, String name, String text) {
    return MapLines.read(name, text, line -> model.destinations.add(line.key(),
        new Rule<>(parse(line.value()), line.where(), line.text())));
  }

  /** Parses {@code level [match=...]...}. */
  static DestinationRule parse(String value) {
    String[] words = value.strip().split("\\s+");
    String levelWord = words[0].toLowerCase(Locale.ROOT);
    boolean fingerprint = levelWord.equals("fingerprint");
    TlsLevel level = switch (levelWord) {
      case "none" -> TlsLevel.NONE;
      case "may" -> TlsLevel.MAY;
      case "encrypt", "fingerprint" -> TlsLevel.ENCRYPT;
      case "verify" -> TlsLevel.VERIFY;
      case "secure" -> TlsLevel.SECURE;
      case "dane" -> TlsLevel.DANE;
      case "dane-only" -> TlsLevel.DANE_ONLY;
      default -> throw new IllegalArgumentException(
          "expected a level (none, may, encrypt, dane, dane-only, verify, secure, fingerprint), got '" + words[0]
              + "'");
    };
    List<String> match = new ArrayList<>();
    for (int i = 1; i < words.length; i++) {
      String w = words[i];
      if (!w.toLowerCase(Locale.ROOT).startsWith("match=") || w.length() == 6) {
        throw new IllegalArgumentException("unsupported attribute '" + w + "' (Postern reads match= only)");
      }
      String v = w.substring(6);
      if (fingerprint) {
        for (String f : v.split("\\|")) {
          match.add(fingerprintHex(f));
        }
      } else if (level.atLeast(TlsLevel.VERIFY)) {
        for (String p : v.toLowerCase(Locale.ROOT).split(":")) {
          if (!p.equals("hostname") && !p.equals("nexthop") && !p.equals("dot-nexthop")) {
            Keys.domain(p);
          }
          match.add(p);
        }
      } else {
        throw new IllegalArgumentException("match= applies to verify, secure and fingerprint only, not " + levelWord);
      }
    }
    if (fingerprint && match.isEmpty()) {
      throw new IllegalArgumentException("fingerprint needs match= with at least one SHA-256 fingerprint");
    }
    return new DestinationRule(level, fingerprint, match);
  }

  /** A SHA-256 fingerprint, with or without colons, as upper-case hex without colons. */
  private static String fingerprintHex(String f) {
    String hex = f.replace(":", "").toUpperCase(Locale.ROOT);
    if (!hex.matches("[0-9A-F]{64}")) {
      throw new IllegalArgumentException("expected a SHA-256 fingerprint (32 hex octets, colons optional), got '"
          + f + "'");
    }
    return hex;
  }
}
