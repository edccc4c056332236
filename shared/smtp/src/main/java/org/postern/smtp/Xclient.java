package org.postern.smtp;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The attributes of Postfix's XCLIENT command: a trusted front end (a proxy, a content filter)
 * tells who the real client is, so that policy, the Received header and the log judge that client
 * instead of the front end. Attribute names are case-insensitive, values xtext (RFC 3461 §4);
 * {@code [UNAVAILABLE]} and {@code [TEMPUNAVAIL]} say the front end does not know.
 */
public final class Xclient {

  /** What EHLO advertises after the keyword, in Postfix's order. */
  public static final String SUPPORTED = "NAME ADDR PORT PROTO HELO LOGIN";
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
  private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]{0,253}[A-Za-z0-9_.])?");
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");

  private Xclient() {}

  /**
   * The attributes one XCLIENT sent. Each is null when not sent and empty when sent as
   * {@code [UNAVAILABLE]} or {@code [TEMPUNAVAIL]}. {@code addr} is an address literal without
   * Postfix's {@code IPV6:} prefix; {@code proto} is SMTP or ESMTP.
   */
  public record Attributes(String addr, String port, String name, String helo, String proto, String login) {}

  /** The attributes, or the 501 reply that refuses the command ({@code attributes} then null). */
  public record Parsed(Attributes attributes, Reply error) {}

  /** Parses the {@code name=value} words after the verb (at least one). */
  public static Parsed parse(List<String> words) {
    String addr = null;
    String port = null;
    String name = null;
    String helo = null;
    String proto = null;
    String login = null;
    for (String word : words) {
      int eq = word.indexOf('=');
      if (eq <= 0) {
        return error("Syntax: XCLIENT attribute=value...");
      }
      String key = word.substring(0, eq).toUpperCase(Locale.ROOT);
      String value = decode(word.substring(eq + 1));
      if (value == null || value.isEmpty()) {
        return error("Bad " + key + " syntax: " + word.substring(eq + 1));
      }
      boolean unknown = value.equalsIgnoreCase("[UNAVAILABLE]") || value.equalsIgnoreCase("[TEMPUNAVAIL]");
      String v = unknown ? "" : value;
      boolean ok = switch (key) {
        case "ADDR" -> {
          addr = unknown ? "" : address(value);
          yield addr != null;
        }
        case "PORT" -> {
          port = v;
          yield unknown || PORT.matcher(v).matches() && Integer.parseInt(v) <= 65535;
        }
        case "NAME" -> {
          name = v;
          yield unknown || HOSTNAME.matcher(v).matches();
        }
        case "HELO" -> {
          helo = v;
          yield unknown || v.length() <= 255;
        }
        case "PROTO" -> {
          proto = v.toUpperCase(Locale.ROOT);
          yield proto.equals("SMTP") || proto.equals("ESMTP");
        }
        case "LOGIN" -> {
          login = v;
          yield unknown || v.length() <= 255;
        }
        default -> {
          if (!key.chars().allMatch(c -> c > ' ' && c < 127)) {
            key = "?";
          }
          yield false;
        }
      };
      if (!ok) {
        return error(List.of(SUPPORTED.split(" ")).contains(key) ? "Bad " + key + " syntax: " + value
            : "Bad XCLIENT attribute name: " + key);
      }
    }
    return new Parsed(new Attributes(addr, port, name, helo, proto, login), null);
  }

  /** An IPv4 address, or an IPv6 one after Postfix's {@code IPV6:} prefix; null when neither. */
  private static String address(String value) {
    if (value.regionMatches(true, 0, "IPV6:", 0, 5)) {
      String v6 = value.substring(5);
      return IPV6.matcher(v6).matches() && v6.contains(":") ? v6.toLowerCase(Locale.ROOT) : null;
    }
    return IPV4.matcher(value).matches() ? value : null;
  }

  /** xtext's {@code +XX} escapes decoded; null when malformed or when it decodes to a control character. */
  private static String decode(String x) {
    StringBuilder sb = new StringBuilder(x.length());
    for (int i = 0; i < x.length(); i++) {
      char c = x.charAt(i);
      if (c == '+') {
        if (i + 2 >= x.length()) {
          return null;
        }
        int high = Character.digit(x.charAt(i + 1), 16);
        int low = Character.digit(x.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          return null;
        }
        c = (char) (high * 16 + low);
        i += 2;
      }
      if (c < ' ' || c > '~') {
        return null;
      }
      sb.append(c);
    }
    return sb.toString();
  }

  private static Parsed error(String text) {
    return new Parsed(null, Reply.of(501, "5.5.4", text));
  }
}
