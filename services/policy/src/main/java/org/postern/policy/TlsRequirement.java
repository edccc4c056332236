package org.postern.policy;

import java.util.Locale;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * A requirement on a TLS session, in sendmail's access-map words: {@code VERIFY} (the peer's
 * certificate verified), {@code VERIFY:bits} (and at least that many cipher bits),
 * {@code ENCR:bits} (at least that many bits, certificate not checked), each optionally prefixed
 * with {@code PERM+} (refuse with 503 5.7.0) or {@code TEMP+} (403 4.7.0, the default).
 *
 * @param verify whether {@code verify=OK} is required
 * @param minBits the least cipher strength accepted, 0 for none
 * @param permanent whether a failure is permanent
 */
public record TlsRequirement(boolean verify, int minBits, boolean permanent) {

  public TlsRequirement {
    if (minBits < 0 || minBits > 1024) {
      throw new IllegalArgumentException("bits must be between 0 and 1024");
    }
  }

  /** Parses the right-hand side of a TLS_Clt/TLS_Srv/TLS_Rcpt entry. */
  public static TlsRequirement parse(String text) {
    String t = text.strip();
    boolean permanent = false;
    String upper = t.toUpperCase(Locale.ROOT);
    if (upper.startsWith("PERM+")) {
      permanent = true;
      t = t.substring(5);
    } else if (upper.startsWith("TEMP+")) {
      t = t.substring(5);
    }
    String[] parts = t.split(":", -1);
    String word = parts[0].toUpperCase(Locale.ROOT);
    if (parts.length > 2 || !(word.equals("VERIFY") || word.equals("ENCR"))) {
      throw new IllegalArgumentException("expected VERIFY, VERIFY:bits or ENCR:bits (optionally PERM+ or TEMP+), got '"
          + text.strip() + "'");
    }
    if (word.equals("ENCR") && parts.length != 2) {
      throw new IllegalArgumentException("ENCR needs a number of bits, e.g. ENCR:128");
    }
    int bits = 0;
    if (parts.length == 2) {
      try {
        bits = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad number of bits '" + parts[1] + "' in '" + text.strip() + "'");
      }
    }
    return new TlsRequirement(word.equals("VERIFY"), bits, permanent);
  }

  /**
   * Checks a session against the requirement, as sendmail's TLS_connection rule set does.
   *
   * @param tls the session's TLS facts, or null when STARTTLS was not performed
   * @return null when satisfied, else the refusal
   */
  public Reply check(TlsFacts tls) {
    Verify v = tls == null ? Verify.NONE : tls.verify();
    if (verify && v != Verify.OK) {
      String why = switch (v) {
        case FAIL -> "authentication failed";
        case NO -> "not authenticated";
        case NOT -> "no authentication requested";
        case NONE -> "other side does not support STARTTLS";
        default -> "authentication failure " + v;
      };
      return refusal(why);
    }
    int bits = tls == null ? 0 : tls.cipherBits();
    if (minBits > 0 && bits < minBits) {
      return refusal("encryption too weak " + bits + " less than " + minBits);
    }
    return null;
  }

  private Reply refusal(String text) {
    return permanent ? Reply.of(503, "5.7.0", text) : Reply.of(403, "4.7.0", text);
  }

  @Override
  public String toString() {
    return (permanent ? "PERM+" : "") + (verify ? "VERIFY" + (minBits > 0 ? ":" + minBits : "") : "ENCR:" + minBits);
  }
}
