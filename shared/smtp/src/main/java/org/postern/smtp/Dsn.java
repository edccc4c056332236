package org.postern.smtp;

import java.util.regex.Pattern;
import java.util.Locale;
import java.util.Set;

/**
 * Validation of the DSN parameters of RFC 3461: RET and ENVID on MAIL, NOTIFY and ORCPT on RCPT.
 * Each check returns null when the value is acceptable, or the reply that refuses it.
 */
public final class Dsn {

  private static final Pattern ADDR_TYPE = Pattern.compile("[A-Za-z0-9-]{1,32}");
  private static final Set<String> NOTIFY_WORDS = Set.of("SUCCESS", "FAILURE", "DELAY");

  private Dsn() {}

  static Reply checkRet(String v) {
    String u = v.toUpperCase(Locale.ROOT);
    return u.equals("FULL") || u.equals("HDRS") ? null : Reply.of(501, "5.5.4", "Bad RET parameter: expected FULL or HDRS");
  }

  /** ENVID: xtext of at most 100 characters (RFC 3461 §4.4). */
  static Reply checkEnvid(String v) {
    return !v.isEmpty() && v.length() <= 100 && isXtext(v) ? null : Reply.of(501, "5.5.4", "Bad ENVID parameter");
  }

  /** NOTIFY=NEVER, or a comma list of SUCCESS, FAILURE and DELAY (RFC 3461 §4.1). */
  static Reply checkNotify(String v) {
    String u = v.toUpperCase(Locale.ROOT);
    if (u.equals("NEVER")) {
      return null;
    }
    String[] words = u.split(",", -1);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String w : words) {
      if (!NOTIFY_WORDS.contains(w) || !seen.add(w)) {
        return Reply.of(501, "5.5.4", "Bad NOTIFY parameter: expected NEVER or SUCCESS,FAILURE,DELAY");
      }
    }
    return null;
  }

  /** ORCPT=addr-type;xtext, e.g. {@code rfc822;user+2Bext@example.org} (RFC 3461 §4.2). */
  static Reply checkOrcpt(String v) {
    int semi = v.indexOf(';');
    boolean ok = semi > 0 && ADDR_TYPE.matcher(v).region(0, semi).matches()
        && semi < v.length() - 1 && v.length() <= 500 && isXtext(v.substring(semi + 1));
    return ok ? null : Reply.of(501, "5.5.4", "Bad ORCPT parameter: expected addr-type;xtext");
  }

  /** Whether a recipient's NOTIFY asks for a report on this outcome; the default is FAILURE,DELAY. */
  public static boolean wants(java.util.Map<String, String> rcptParams, String outcome) {
    String notify = rcptParams.get("NOTIFY");
    if (notify == null) {
      return !outcome.equals("SUCCESS");
    }
    return java.util.Arrays.asList(notify.toUpperCase(Locale.ROOT).split(",")).contains(outcome);
  }

  /** xtext: printable ASCII except '+' and '=', with '+XX' hex escapes (RFC 3461 §4). */
  static boolean isXtext(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '+') {
        if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
          return false;
        }
        i += 2;
      } else if (c < '!' || c > '~' || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  }
}
