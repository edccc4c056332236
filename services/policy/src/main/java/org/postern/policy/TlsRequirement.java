package org.postern.policy;

import java.util.Locale;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * A requirement on a TLS session, in sendmail's access-map words (the right-hand side of
 * {@code TLS_Clt}, {@code TLS_Srv} and {@code TLS_Rcpt} entries):
 *
 * <pre>
 * [PERM+|TEMP+] (VERIFY | VERIFY:bits | ENCR:bits) [+CN | +CN:name] [+CS:subject-DN] [+CI:issuer-DN]
 * </pre>
 *
 * <p>{@code VERIFY} needs the peer's certificate verified ({@code verify=OK}), {@code bits} the
 * least cipher strength, {@code ENCR} strength without a certificate check. {@code CN} needs the
 * certificate's common name to be the peer's name (the server's host name outbound, the client's
 * name inbound), {@code CN:name} to be {@code name}; {@code CS} and {@code CI} compare the subject
 * and issuer DNs (sendmail's {@code /C=../CN=..} form or RFC 2253, see {@link DistinguishedName}).
 * {@code PERM+} makes a failure permanent (503 5.7.0), {@code TEMP+} temporary (403 4.7.0, the
 * default).
 *
 * @param verify whether {@code verify=OK} is required
 * @param minBits the least cipher strength accepted, 0 for none
 * @param permanent whether a failure is permanent
 * @param cn the required common name: null for none, "" for the peer's own name
 * @param subject the required subject DN, or null
 * @param issuer the required issuer DN, or null
 */
public record TlsRequirement(boolean verify, int minBits, boolean permanent, String cn, DistinguishedName subject,
    DistinguishedName issuer) {

  public TlsRequirement {
    if (minBits < 0 || minBits > 1024) {
      throw new IllegalArgumentException("bits must be between 0 and 1024");
    }
  }

  public TlsRequirement(boolean verify, int minBits, boolean permanent) {
    this(verify, minBits, permanent, null, null, null);
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
    // Extensions are joined by '+', but a DN in xtext form holds '+' too ("CN=Mail+20CA"): split
    // only where an extension keyword follows.
    String[] parts = t.split("\\+(?=(?i)(CN\\b|CN:|CS:|CI:))");
    String[] main = parts[0].split(":", -1);
    String word = main[0].toUpperCase(Locale.ROOT);
    if (main.length > 2 || !(word.equals("VERIFY") || word.equals("ENCR"))) {
      throw new IllegalArgumentException("expected VERIFY, VERIFY:bits or ENCR:bits (optionally PERM+ or TEMP+"
          + " before, +CN, +CN:name, +CS:dn, +CI:dn after), got '" + text.strip() + "'");
    }
    if (word.equals("ENCR") && main.length != 2) {
      throw new IllegalArgumentException("ENCR needs a number of bits, e.g. ENCR:128");
    }
    int bits = 0;
    if (main.length == 2) {
      try {
        bits = Integer.parseInt(main[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad number of bits '" + main[1] + "' in '" + text.strip() + "'");
      }
    }
    String cn = null;
    DistinguishedName subject = null;
    DistinguishedName issuer = null;
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      String tag = p.length() >= 3 ? p.substring(0, 3).toUpperCase(Locale.ROOT) : p.toUpperCase(Locale.ROOT);
      if (p.equalsIgnoreCase("CN")) {
        cn = "";
      } else if (tag.equals("CN:") && p.length() > 3) {
        cn = p.substring(3);
      } else if (tag.equals("CS:") && p.length() > 3) {
        subject = DistinguishedName.parse(p.substring(3));
      } else if (tag.equals("CI:") && p.length() > 3) {
        issuer = DistinguishedName.parse(p.substring(3));
      } else {
        throw new IllegalArgumentException("bad extension '" + p + "' in '" + text.strip() + "'");
      }
    }
    return new TlsRequirement(word.equals("VERIFY"), bits, permanent, cn, subject, issuer);
  }

  /**
   * Checks a session against the requirement, as sendmail's TLS_connection rule set does.
   *
   * @param tls the session's TLS facts, or null when STARTTLS was not performed
   * @param peerName the peer's name for a bare {@code CN} (server host name, client name), or null
   * @return null when satisfied, else the refusal
   */
  public Reply check(TlsFacts tls, String peerName) {
    return check(tls, tls == null ? Verify.NONE : tls.verify(), peerName);
  }

  /**
   * The same, where a session without TLS has its own {@code ${verify}}: a failed handshake
   * (SOFTWARE) or a refused STARTTLS (PROTOCOL) fails every requirement, with sendmail's words,
   * before anything else is looked at; TEMP (a 4xx to STARTTLS) fails VERIFY as "authentication
   * failure TEMP" and ENCR as too weak, like any other session without a cipher.
   *
   * @param v sendmail's {@code ${verify}}: the facts' value over TLS, else NONE, TEMP, PROTOCOL or
   *     SOFTWARE
   */
  public Reply check(TlsFacts tls, Verify v, String peerName) {
    if (v == Verify.SOFTWARE) {
      return refusal("TLS handshake failed.");
    }
    if (v == Verify.PROTOCOL) {
      return refusal("STARTTLS failed.");
    }
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
    String gotCn = tls == null ? "" : tls.cnSubject();
    if (cn != null) {
      String want = cn.isEmpty() ? peerName : cn;
      if (want == null || !want.equalsIgnoreCase(gotCn)) {
        return refusal("CN " + printable(gotCn) + " does not match " + (want == null ? "an unknown peer name" : want));
      }
    }
    if (subject != null && (tls == null || !subject.matches(tls.certSubject()))) {
      return refusal("Cert Subject " + printable(tls == null ? "" : tls.certSubject()) + " does not match " + subject);
    }
    if (issuer != null && (tls == null || !issuer.matches(tls.certIssuer()))) {
      return refusal("Cert Issuer " + printable(tls == null ? "" : tls.certIssuer()) + " does not match " + issuer);
    }
    return null;
  }

  /** {@link #check(TlsFacts, String)} without a peer name. */
  public Reply check(TlsFacts tls) {
    return check(tls, null);
  }

  private static String printable(String s) {
    String t = s.isEmpty() ? "(none)" : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private Reply refusal(String text) {
    return permanent ? Reply.of(503, "5.7.0", text) : Reply.of(403, "4.7.0", text);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(permanent ? "PERM+" : "");
    sb.append(verify ? "VERIFY" + (minBits > 0 ? ":" + minBits : "") : "ENCR:" + minBits);
    if (cn != null) {
      sb.append(cn.isEmpty() ? "+CN" : "+CN:" + cn);
    }
    if (subject != null) {
      sb.append("+CS:").append(subject);
    }
    if (issuer != null) {
      sb.append("+CI:").append(issuer);
    }
    return sb.toString();
  }
}
