package org.postern.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Parsers for the value types settings use; each error message says what was expected. */
public final class Values {

  private Values() {}

  /** An integer within [min, max]. */
  public static Function<String, Integer> integer(int min, int max) {
    return s -> {
      long v = longValue(s, min, max);
      return (int) v;
    };
  }

  /** A size in octets, with an optional k, m or g suffix (powers of 1024), within [min, max]. */
  public static Function<String, Long> size(long min, long max) {
    return s -> {
      String t = s.toLowerCase(Locale.ROOT);
      long unit = 1;
      if (t.endsWith("k")) {
        unit = 1024;
      } else if (t.endsWith("m")) {
        unit = 1024 * 1024;
      } else if (t.endsWith("g")) {
        unit = 1024L * 1024 * 1024;
      }
      if (unit != 1) {
        t = t.substring(0, t.length() - 1);
      }
      long v;
      try {
        v = Math.multiplyExact(Long.parseLong(t), unit);
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException("expected a size such as 10240000, 512k or 10m, got '" + s + "'");
      }
      if (v < min || v > max) {
        throw new IllegalArgumentException("must be between " + min + " and " + max + " octets, got " + v);
      }
      return v;
    };
  }

  /**
   * A duration with Postfix's units: s, m, h, d or w; a bare number is seconds. Bounds are
   * inclusive.
   */
  public static Function<String, Duration> duration(Duration min, Duration max) {
    return s -> {
      String t = s.toLowerCase(Locale.ROOT);
      if (t.isEmpty()) {
        throw new IllegalArgumentException("expected a duration such as 300s, 5m or 5d");
      }
      char unit = t.charAt(t.length() - 1);
      long seconds;
      if (Character.isDigit(unit)) {
        unit = 's';
      } else {
        t = t.substring(0, t.length() - 1);
      }
      long n;
      try {
        n = Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a duration such as 300s, 5m or 5d, got '" + s + "'");
      }
      switch (unit) {
        case 's': seconds = n; break;
        case 'm': seconds = n * 60; break;
        case 'h': seconds = n * 3600; break;
        case 'd': seconds = n * 86400; break;
        case 'w': seconds = n * 7 * 86400; break;
        default:
          throw new IllegalArgumentException("unknown time unit '" + unit + "' in '" + s + "' (use s, m, h, d or w)");
      }
      Duration d = Duration.ofSeconds(seconds);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException("must be between " + min.toSeconds() + "s and " + max.toSeconds() + "s, got '" + s + "'");
      }
      return d;
    };
  }

  /** One of the given words, case-insensitive. */
  public static Function<String, String> oneOf(String... words) {
    return s -> {
      String t = s.toLowerCase(Locale.ROOT);
      for (String w : words) {
        if (w.equals(t)) {
          return w;
        }
      }
      throw new IllegalArgumentException("expected one of " + String.join(", ", words) + ", got '" + s + "'");
    };
  }

  /** Any text, possibly empty. */
  public static Function<String, String> text() {
    return s -> s;
  }

  /** A non-empty host name. */
  public static Function<String, String> hostname() {
    return s -> {
      if (!s.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
        throw new IllegalArgumentException("expected a host name, got '" + s + "'");
      }
      return s;
    };
  }

  /** A comma- or whitespace-separated list, each element parsed by {@code element}. */
  public static <T> Function<String, List<T>> list(Function<String, T> element) {
    return s -> {
      List<T> out = new ArrayList<>();
      for (String part : splitList(s)) {
        out.add(element.apply(part));
      }
      return List.copyOf(out);
    };
  }

  /** Splits on commas; whitespace around elements is ignored. */
  public static List<String> splitList(String s) {
    return Arrays.stream(s.split(","))
        .map(String::strip)
        .filter(p -> !p.isEmpty())
        .toList();
  }

  /**
   * Compiled once: the bus records of every delivery check their domains with {@link #domain}, and
   * String.matches would compile the expression each time.
   */
  private static final Pattern DOMAIN =
      Pattern.compile("\\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

  /** A domain name for a table lookup, lower-cased. */
  public static Function<String, String> domain() {
    return s -> {
      String t = s.toLowerCase(Locale.ROOT);
      if (!DOMAIN.matcher(t).matches()) {
        throw new IllegalArgumentException("expected a domain name, got '" + s + "'");
      }
      return t;
    };
  }

  private static long longValue(String s, long min, long max) {
    long v;
    try {
      v = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a whole number, got '" + s + "'");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException("must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }
}
