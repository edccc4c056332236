package org.postern.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Literal IP addresses without DNS. {@link InetAddress#getByName} resolves names, and blocks while
 * doing so; it is only called here on strings already checked to be literals, for which it does
 * not touch the network.
 */
public final class IpLiterals {

  // Compiled once: every session checks its client's address, and String.matches would compile
  // these again on each call (it showed in profiles of the connection path).
  private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?");

  private IpLiterals() {}

  /** The address bytes (4 or 16), or null if {@code s} is not an IPv4 or IPv6 literal. */
  public static byte[] parse(String s) {
    String t = s.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    if (t.isEmpty()) {
      return null;
    }
    boolean v4 = V4.matcher(t).matches();
    boolean v6 = !v4 && t.indexOf(':') >= 0 && V6.matcher(t).matches();
    if (!v4 && !v6) {
      return null;
    }
    if (v4) {
      for (String part : t.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return null;
        }
      }
    }
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  public static boolean isLiteral(String s) {
    return parse(s) != null;
  }

  public static boolean isV4Mapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  static String format(byte[] b) {
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
