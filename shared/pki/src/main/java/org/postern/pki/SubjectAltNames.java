package org.postern.pki;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * The names a certificate is for, from {@code --san a,b,c}: DNS names (a leading {@code *.} makes a
 * wildcard), IP literals, and mail addresses (for client certificates). RFC 6125 clients look only at
 * these when there are any, so a server's CN is always added among them too.
 */
public final class SubjectAltNames {

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+");

  private SubjectAltNames() {}

  /**
   * The names of {@code sans} (comma-separated, may be empty) with {@code cn} first when it is a
   * host name, duplicates dropped.
   *
   * @throws PkiException naming the entry that is neither a host name, an IP literal nor an address
   */
  public static List<String> of(String cn, String sans) throws PkiException {
    Set<String> names = new LinkedHashSet<>();
    if (cn != null && isHostName(cn.strip().toLowerCase(Locale.ROOT))) {
      names.add(cn.strip().toLowerCase(Locale.ROOT));
    }
    if (sans != null) {
      for (String raw : sans.split(",")) {
        String n = raw.strip().toLowerCase(Locale.ROOT);
        if (n.isEmpty()) {
          continue;
        }
        check(n);
        names.add(n);
      }
    }
    return List.copyOf(names);
  }

  /** The extension value for {@code names} as {@link #of} returns them. */
  public static GeneralNames encode(List<String> names) {
    List<GeneralName> out = new ArrayList<>();
    for (String n : names) {
      if (n.contains("@")) {
        out.add(new GeneralName(GeneralName.rfc822Name, n));
      } else if (IPV4.matcher(n).matches() || n.contains(":")) {
        out.add(new GeneralName(GeneralName.iPAddress, n));
      } else {
        out.add(new GeneralName(GeneralName.dNSName, n));
      }
    }
    return new GeneralNames(out.toArray(new GeneralName[0]));
  }

  private static void check(String n) throws PkiException {
    if (isIpLiteral(n)) {
      return;
    }
    int at = n.indexOf('@');
    if (at > 0 && isHostName(n.substring(at + 1))) {
      return;
    }
    if (isHostName(n.startsWith("*.") ? n.substring(2) : n) && (!n.startsWith("*.") || n.indexOf('.', 2) > 0)) {
      return;
    }
    throw new PkiException("--san: '" + n + "' is not a host name, a wildcard (*.example.com), an IP literal or"
        + " a mail address");
  }

  static boolean isIpLiteral(String n) {
    return IPV4.matcher(n).matches() || (n.contains(":") && IPV6.matcher(n).matches());
  }

  static boolean isHostName(String n) {
    if (n.isEmpty() || n.length() > 253) {
      return false;
    }
    for (String label : n.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }
}
