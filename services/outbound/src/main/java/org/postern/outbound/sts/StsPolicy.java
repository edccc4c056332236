package org.postern.outbound.sts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One MTA-STS policy as its domain publishes it at {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}
 * (RFC 8461 §3.2): the mode, the MX host patterns, and how long it may be cached.
 *
 * @param mode what to do with MX hosts that fail the policy
 * @param mx host names ({@code mail.example.com}) and leading wildcards ({@code *.example.net}),
 *     lower case, without a trailing dot
 * @param maxAge how long the policy may be cached, at most {@link #MAX_AGE}
 */
public record StsPolicy(Mode mode, List<String> mx, Duration maxAge) {

  /** RFC 8461 §3.2's largest max_age, about a year; a larger value is cut to it. */
  public static final Duration MAX_AGE = Duration.ofSeconds(31_557_600);

  /** RFC 8461 §3.3: the body a sender must accept; anything larger is refused unread. */
  public static final int MAX_BODY = 64 * 1024;

  /** More than this many mx lines is a mistake or an attack; a real domain lists a few. */
  static final int MAX_PATTERNS = 100;

  /** The policy modes of RFC 8461 §5. */
  public enum Mode {
    /** Deliver only to matching MX hosts, over TLS with a certificate valid for the MX name. */
    ENFORCE,
    /** Deliver as without a policy, but report what would have failed (TLS-RPT, RFC 8460). */
    TESTING,
    /** The domain withdrew its policy: as if it had none. */
    NONE;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public StsPolicy {
    if (mode == null || maxAge == null || maxAge.isNegative()) {
      throw new IllegalArgumentException("mode and a non-negative max_age are required");
    }
    mx = List.copyOf(mx);
    if (maxAge.compareTo(MAX_AGE) > 0) {
      maxAge = MAX_AGE;
    }
  }

  /**
   * Parses a policy body. Lines end in CRLF or LF; {@code version}, {@code mode} and
   * {@code max_age} must appear (the first occurrence counts), {@code mx} may repeat and must
   * appear unless the mode is none; unknown keys are ignored, as §3.2 asks for extensibility.
   *
   * @throws IllegalArgumentException with the reason, when the body is not a valid policy
   */
  public static StsPolicy parse(String body) {
    String version = null;
    String mode = null;
    String maxAge = null;
    List<String> mx = new ArrayList<>();
    for (String raw : body.split("\n", -1)) {
      String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("not a 'key: value' line: " + shown(line));
      }
      String key = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "version" -> version = version == null ? value : version;
        case "mode" -> mode = mode == null ? value : mode;
        case "max_age" -> maxAge = maxAge == null ? value : maxAge;
        case "mx" -> {
          if (mx.size() >= MAX_PATTERNS) {
            throw new IllegalArgumentException("more than " + MAX_PATTERNS + " mx lines");
          }
          mx.add(pattern(value));
        }
        default -> {
          // An extension this sender does not know.
        }
      }
    }
    if (!"STSv1".equals(version)) {
      throw new IllegalArgumentException(version == null ? "no version line" : "version " + shown(version)
          + " is not STSv1");
    }
    Mode m = switch (mode == null ? "" : mode) {
      case "enforce" -> Mode.ENFORCE;
      case "testing" -> Mode.TESTING;
      case "none" -> Mode.NONE;
      default -> throw new IllegalArgumentException(mode == null ? "no mode line"
          : "mode " + shown(mode) + " is none of enforce, testing, none");
    };
    if (maxAge == null || !maxAge.matches("[0-9]{1,10}")) {
      throw new IllegalArgumentException(maxAge == null ? "no max_age line" : "max_age " + shown(maxAge)
          + " is not a number of seconds");
    }
    if (mx.isEmpty() && m != Mode.NONE) {
      throw new IllegalArgumentException("no mx line in mode " + m.word());
    }
    long seconds = Long.parseLong(maxAge);
    return new StsPolicy(m, mx, Duration.ofSeconds(Math.min(seconds, MAX_AGE.getSeconds())));
  }

  /**
   * Whether the MX host {@code host} is one the policy names: equal to a pattern, or, for a
   * pattern {@code *.example.net}, exactly one label in front of {@code example.net} (RFC 8461
   * §4.1: the wildcard stands for the leftmost label only).
   */
  public boolean matches(String host) {
    String h = normalize(host);
    for (String p : mx) {
      if (p.startsWith("*.")) {
        String parent = p.substring(1);
        int dot = h.indexOf('.');
        if (dot > 0 && h.substring(dot).equals(parent)) {
          return true;
        }
      } else if (p.equals(h)) {
        return true;
      }
    }
    return false;
  }

  /** The policy as the domain would publish it, for the cache and the log. */
  public String text() {
    StringBuilder sb = new StringBuilder("version: STSv1\r\nmode: ").append(mode.word()).append("\r\n");
    for (String p : mx) {
      sb.append("mx: ").append(p).append("\r\n");
    }
    return sb.append("max_age: ").append(maxAge.getSeconds()).append("\r\n").toString();
  }

  private static String pattern(String value) {
    String p = normalize(value);
    String name = p.startsWith("*.") ? p.substring(2) : p;
    if (name.isEmpty() || name.length() > 253 || !name.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
      throw new IllegalArgumentException("mx " + shown(value) + " is not a host name or *.domain");
    }
    return p;
  }

  private static String normalize(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static String shown(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + "'";
  }
}
