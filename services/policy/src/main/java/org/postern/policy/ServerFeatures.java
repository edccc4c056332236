package org.postern.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * sendmail's {@code Srv_Features:} value: letters that switch a server feature off (upper case)
 * or on (lower case) for the clients an entry names. Postern acts on two of them; a migrated map
 * may carry sendmail's others, which are read and ignored with a warning rather than refused, so
 * that the map loads as it is.
 *
 * @param offerTls {@code s} (the default) or {@code S}: whether EHLO offers STARTTLS
 * @param requestCert {@code v} (the default) or {@code V}: whether the handshake asks for a certificate
 */
record ServerFeatures(boolean offerTls, boolean requestCert) {

  static final ServerFeatures DEFAULT = new ServerFeatures(true, true);

  /** sendmail's other letters, by their upper-case form: known, but nothing in Postern they would switch. */
  private static final Map<Character, String> IGNORED = Map.of(
      'A', "AUTH offer", 'B', "VERB", 'C', "plaintext AUTH over a security layer", 'D', "DSN",
      'E', "ETRN", 'L', "AUTH requirement", 'P', "PIPELINING", 'X', "EXPN");

  /**
   * Reads letters, alone or separated by spaces ({@code S V} or {@code SV}); sends a warning for
   * each letter that is known but has no effect here. Throws IllegalArgumentException for an
   * unknown letter or one given both ways.
   */
  static ServerFeatures parse(String value, Consumer<String> warnings) {
    Boolean tls = null;
    Boolean cert = null;
    List<Character> ignored = new ArrayList<>();
    for (char c : value.toCharArray()) {
      if (Character.isWhitespace(c)) {
        continue;
      }
      char upper = Character.toUpperCase(c);
      boolean on = Character.isLowerCase(c);
      if (upper == 'S') {
        tls = once(tls, on, c);
      } else if (upper == 'V') {
        cert = once(cert, on, c);
      } else if (IGNORED.containsKey(upper) && Character.isLetter(c)) {
        ignored.add(c);
      } else {
        throw new IllegalArgumentException("Srv_Features: unknown letter '" + c + "' in '" + value
            + "' (S/s: STARTTLS offered, V/v: client certificate requested; sendmail's A B C D E L P X are read"
            + " and ignored)");
      }
    }
    for (char c : ignored) {
      warnings.accept("Srv_Features: letter '" + c + "' (" + IGNORED.get(Character.toUpperCase(c))
          + ") has no effect in Postern; ignored");
    }
    return new ServerFeatures(tls == null || tls, cert == null || cert);
  }

  private static Boolean once(Boolean before, boolean on, char c) {
    if (before != null) {
      throw new IllegalArgumentException("Srv_Features: '" + c + "' given twice or both ways");
    }
    return on;
  }

  /** sendmail's letters for these features and what they mean, as {@code policy explain} shows them. */
  String describe() {
    return (offerTls ? "s" : "S") + " " + (requestCert ? "v" : "V") + " (STARTTLS " + (offerTls ? "offered" : "not offered")
        + ", client certificate " + (requestCert ? "requested if the listener asks" : "not requested") + ")";
  }
}
