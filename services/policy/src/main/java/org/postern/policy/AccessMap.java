package org.postern.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postern.config.Cidr;

/**
 * sendmail's access map, as a text file of {@code key value} lines with {@code #} comments. This
 * first slice understands {@code TLS_Clt:} entries for client addresses and networks:
 *
 * <pre>
 * TLS_Clt:192.0.2.7        VERIFY:128
 * TLS_Clt:198.51.100       PERM+ENCR:256     # sendmail's partial-address form for a /24
 * TLS_Clt:2001:db8::/32    ENCR:128
 * </pre>
 *
 * <p>A file with any error is refused whole, each problem as {@code file:line: reason}. Matching
 * follows sendmail: the most specific entry (the longest network) wins.
 */
public final class AccessMap {

  /** One TLS_Clt entry, with where it came from. */
  public record ClientTlsRule(Cidr network, TlsRequirement requirement, String where) {}

  private final List<ClientTlsRule> clientTls;

  private AccessMap(List<ClientTlsRule> clientTls) {
    this.clientTls = List.copyOf(clientTls);
  }

  public static AccessMap empty() {
    return new AccessMap(List.of());
  }

  /** Reads and compiles the file. Blocking. */
  public static AccessMap load(Path file) throws IOException, AccessMapException {
    return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
  }

  public static AccessMap parse(String name, String text) throws AccessMapException {
    List<ClientTlsRule> rules = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (content.isEmpty()) {
        continue;
      }
      String where = name + ":" + (i + 1);
      String[] kv = content.split("\\s+", 2);
      if (kv.length != 2) {
        problems.add(where + ": expected 'key value', got '" + content + "'");
        continue;
      }
      int colon = kv[0].indexOf(':');
      String tag = colon < 0 ? "" : kv[0].substring(0, colon);
      String key = colon < 0 ? "" : kv[0].substring(colon + 1);
      try {
        if (tag.equalsIgnoreCase("TLS_Clt")) {
          rules.add(new ClientTlsRule(network(key), TlsRequirement.parse(kv[1]), where));
        } else {
          throw new IllegalArgumentException("unsupported entry '" + kv[0] + "' (this version reads TLS_Clt: entries)");
        }
      } catch (IllegalArgumentException e) {
        problems.add(where + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new AccessMapException(problems);
    }
    // Most specific first, so the first match is the longest prefix.
    rules.sort((a, b) -> Integer.compare(b.network().prefix(), a.network().prefix()));
    return new AccessMap(rules);
  }

  /** The TLS_Clt rule for a client address, or null. */
  public ClientTlsRule clientTls(String ip) {
    for (ClientTlsRule r : clientTls) {
      if (r.network().contains(ip)) {
        return r;
      }
    }
    return null;
  }

  /** An address, a CIDR network, or sendmail's partial IPv4 form ("10.1" is 10.1.0.0/16). */
  static Cidr network(String key) {
    String k = key.toLowerCase(Locale.ROOT).startsWith("ipv6:") ? key.substring(5) : key;
    if (k.matches("\\d{1,3}(\\.\\d{1,3}){0,2}")) {
      int octets = k.split("\\.").length;
      return Cidr.parse(k + ".0".repeat(4 - octets) + "/" + (octets * 8));
    }
    try {
      return Cidr.parse(k);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("TLS_Clt: expected an IP address or network, got '" + key
          + "' (host names are not matched yet)");
    }
  }

  /** A map that cannot be used, with every problem found. */
  public static final class AccessMapException extends Exception {
    private final List<String> problems;

    public AccessMapException(List<String> problems) {
      super(String.join("\n", problems), null, false, false);
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }
}
