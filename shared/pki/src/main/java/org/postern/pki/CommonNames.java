package org.postern.pki;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What {@code --cn} may say. A server's or a node's certificate names the host that clients
 * connect to, so its CN must be a host name, a wildcard or an IP literal (a typo such as
 * {@code 'bad name!'} would otherwise make a certificate no peer can match). A client's may also be
 * a mail address or a person's or device's name, as sendmail's CERTSUBJECT entries use them, but
 * only in printable letters, digits, spaces and {@code . - _ '}: punctuation there is almost
 * always a quoting mistake in the shell.
 */
public final class CommonNames {

  /** RFC 5280's upper bound for a common name (ub-common-name). */
  static final int MAX_LENGTH = 64;

  private static final Pattern PLAIN_NAME = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N} ._'-]*");

  private CommonNames() {}

  /**
   * @param profile what the certificate is for; CLIENT, or null for a CSR (whose use the outside
   *     CA decides), allows the wider set
   * @throws PkiException naming the CN and what a CN for {@code profile} may be
   */
  public static void check(String cn, Profile profile) throws PkiException {
    if (cn == null || cn.isBlank()) {
      throw new PkiException("--cn: empty common name");
    }
    String c = cn.strip();
    if (c.length() > MAX_LENGTH) {
      throw new PkiException("--cn: '" + c + "' is " + c.length() + " characters, a CN holds at most " + MAX_LENGTH
          + " (RFC 5280); use a shorter --cn and give the long name with --san");
    }
    String lower = c.toLowerCase(Locale.ROOT);
    if (isHostLike(lower)) {
      return;
    }
    if (profile == Profile.CLIENT || profile == null) {
      int at = lower.indexOf('@');
      if (at > 0 && at == lower.lastIndexOf('@') && SubjectAltNames.isHostName(lower.substring(at + 1))
          && lower.substring(0, at).matches("[a-z0-9!#$%&'*+/=?^_`{|}~.-]+")) {
        return;
      }
      if (PLAIN_NAME.matcher(c).matches()) {
        return;
      }
      throw new PkiException("--cn: '" + c + "' is not a sane common name: use a host name"
          + " (desktop.example.net), a mail address (jose@example.net) or a plain name of letters, digits, spaces"
          + " and . - _ '");
    }
    throw new PkiException("--cn: '" + c + "' is not a host name: a " + profile + " certificate's CN is the name"
        + " peers connect to, e.g. mail.example.com (letters, digits and hyphens in dot-separated labels),"
        + " a wildcard (*.example.com) or an IP literal");
  }

  private static boolean isHostLike(String n) {
    if (n.startsWith("*.")) {
      return n.indexOf('.', 2) > 0 && SubjectAltNames.isHostName(n.substring(2));
    }
    return SubjectAltNames.isHostName(n) || SubjectAltNames.isIpLiteral(n);
  }
}
