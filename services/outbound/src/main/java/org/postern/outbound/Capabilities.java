package org.postern.outbound;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.postern.smtp.Reply;

/**
 * What a server's EHLO reply offers: the extension keywords, the SIZE limit, and the AUTH
 * mechanisms. After HELO (no EHLO) and right after STARTTLS there are none.
 *
 * @param keywords upper-cased first words of the EHLO lines after the first
 * @param maxSize SIZE's limit in octets, 0 when SIZE gives none or is not offered (RFC 1870 §4)
 * @param authMechanisms upper-cased SASL mechanisms after AUTH
 */
record Capabilities(Set<String> keywords, long maxSize, Set<String> authMechanisms) {

  static final Capabilities NONE = new Capabilities(Set.of(), 0, Set.of());

  Capabilities {
    keywords = Set.copyOf(keywords);
    authMechanisms = Set.copyOf(authMechanisms);
  }

  boolean has(String keyword) {
    return keywords.contains(keyword);
  }

  static Capabilities parse(Reply ehlo) {
    Set<String> keywords = new HashSet<>();
    Set<String> auth = new HashSet<>();
    long size = 0;
    List<String> lines = ehlo.lines();
    for (int i = 1; i < lines.size(); i++) {
      String[] words = lines.get(i).strip().toUpperCase(Locale.ROOT).split("[ =]+");
      if (words.length == 0 || words[0].isEmpty()) {
        continue;
      }
      keywords.add(words[0]);
      if (words[0].equals("SIZE") && words.length > 1) {
        size = parseSize(words[1]);
      } else if (words[0].equals("AUTH")) {
        auth.addAll(List.of(words).subList(1, words.length));
      }
    }
    return new Capabilities(keywords, size, auth);
  }

  /** A SIZE value we cannot read is treated as no limit: the server will say so at MAIL or DATA. */
  private static long parseSize(String s) {
    try {
      return Math.max(0, Long.parseLong(s));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
