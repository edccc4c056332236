package org.postern.smtp;

import java.util.regex.Pattern;

/** Syntax checks for the parts of a mailbox (RFC 5321 §4.1.2, ASCII only until SMTPUTF8). */
final class Addresses {

  // dot-atom or quoted-string local parts; atext of RFC 5322 §3.2.3, plus UTF-8 (RFC 6531 §3.3).
  private static final Pattern DOT_ATOM =
      Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uFFFD-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uFFFD-]+)*");
  private static final Pattern QUOTED =
      Pattern.compile("\"([\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e\\u0080-\\uFFFD]|\\\\[\\x20-\\x7e])*\"");
  // LDH labels, or U-labels (RFC 6531 allows internationalised domain names in UTF-8).
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9\\u0080-\\uFFFD]([A-Za-z0-9\\u0080-\\uFFFD-]{0,61}[A-Za-z0-9\\u0080-\\uFFFD])?");
  private static final Pattern IPV4_LITERAL = Pattern.compile("\\[\\d{1,3}(\\.\\d{1,3}){3}]");
  private static final Pattern IPV6_LITERAL = Pattern.compile("\\[IPv6:[0-9A-Fa-f:.]+]");

  private Addresses() {}

  static boolean isValidLocalPart(String local) {
    return DOT_ATOM.matcher(local).matches() || QUOTED.matcher(local).matches();
  }

  static boolean isAscii(String s) {
    return s.chars().allMatch(c -> c < 0x80);
  }

  static boolean isValidDomain(String domain) {
    if (domain.startsWith("[")) {
      return IPV4_LITERAL.matcher(domain).matches() || IPV6_LITERAL.matcher(domain).matches();
    }
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (d.isEmpty()) {
      return false;
    }
    for (String label : d.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }
}
