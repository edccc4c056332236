package org.postern.smtp;

import java.util.List;
import java.util.Random;

/** Command lines for property tests: noise, hostile bytes, and near-misses of valid commands. */
final class RandomLines {

  static final List<String> VALID = List.of(
      "EHLO client.example",
      "HELO client.example",
      "MAIL FROM:<a@example.org>",
      "MAIL FROM: <a@example.org> SIZE=100 BODY=8BITMIME",
      "MAIL FROM:<>",
      "MAIL FROM:<@x.example,@y.example:u@d.example>",
      "MAIL FROM:<\"john doe\"@example.org> SMTPUTF8",
      "MAIL FROM:<a@[192.0.2.1]> SIZE=99999999",
      "RCPT TO:<u@example.net>",
      "RCPT TO:<v@example.net>",
      "RCPT TO:<w@[IPv6:2001:db8::1]>",
      "RCPT TO:<u@example.net> NOTIFY=NEVER",
      "DATA",
      "RSET",
      "NOOP",
      "QUIT",
      "HELP",
      "VRFY u",
      "STARTTLS");

  /** Characters that break parsers: line ends, NUL, controls, DEL, Latin-1, beyond. */
  private static final char[] HOSTILE = {
      '\r', '\n', '\0', '\t', 0x01, 0x1b, 0x7f, 0x80, 0xa0, 0xe9, 0xff, 0x2028, 0xfeff, '<', '>', '@', ':', '"', '\\', ' ', '='};

  /** Characters that keep a mutated command close to valid. */
  private static final String NEAR = "<>@:\" \\=.,-aZ09[]";

  private final Random random;

  RandomLines(long seed) {
    this.random = new Random(seed);
  }

  Random random() {
    return random;
  }

  String next() {
    return switch (random.nextInt(3)) {
      case 0 -> printable();
      case 1 -> hostile();
      default -> mutated();
    };
  }

  String valid() {
    return VALID.get(random.nextInt(VALID.size()));
  }

  String printable() {
    StringBuilder sb = new StringBuilder();
    if (random.nextBoolean()) {
      String v = valid();
      sb.append(v, 0, Math.min(5, v.length()));
    }
    int n = random.nextInt(60);
    for (int i = 0; i < n; i++) {
      sb.append((char) (0x20 + random.nextInt(0x5f)));
    }
    return sb.toString();
  }

  String hostile() {
    StringBuilder sb = new StringBuilder(random.nextBoolean() ? valid() : "");
    int n = 1 + random.nextInt(8);
    for (int i = 0; i < n; i++) {
      char c = random.nextInt(4) == 0 ? (char) random.nextInt(0x10000) : HOSTILE[random.nextInt(HOSTILE.length)];
      sb.insert(random.nextInt(sb.length() + 1), c);
    }
    return sb.toString();
  }

  String mutated() {
    StringBuilder sb = new StringBuilder(valid());
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n && sb.length() > 0; i++) {
      int at = random.nextInt(sb.length());
      switch (random.nextInt(6)) {
        case 0 -> sb.insert(at, NEAR.charAt(random.nextInt(NEAR.length())));
        case 1 -> sb.deleteCharAt(at);
        case 2 -> sb.setCharAt(at, NEAR.charAt(random.nextInt(NEAR.length())));
        case 3 -> sb.setCharAt(at, Character.toLowerCase(sb.charAt(at)));
        case 4 -> sb.append(' ').append(random.nextBoolean() ? "SIZE=" + random.nextInt(1_000_000) : "X-" + at);
        default -> sb.insert(at, sb.substring(at, Math.min(sb.length(), at + 1 + random.nextInt(6))));
      }
    }
    return sb.toString();
  }
}
