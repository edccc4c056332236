package org.postern.policy;

import java.util.List;
import java.util.Locale;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/**
 * One Postfix-style per-destination policy: a level and, for {@code verify} and {@code secure},
 * the names the server's certificate must carry, or for {@code fingerprint} the SHA-256
 * fingerprints it may have. {@code fingerprint} travels to outbound as {@code encrypt} (TLS
 * mandatory, no CA check) and the pin is checked after the handshake.
 *
 * @param level the level outbound enforces on the wire
 * @param fingerprint whether the server's certificate is pinned
 * @param match name patterns ({@code hostname}, {@code nexthop}, {@code dot-nexthop}, a name, or
 *     {@code .domain}); or, for a pin, upper-case hex fingerprints without colons
 */
public record DestinationRule(TlsLevel level, boolean fingerprint, List<String> match) {

  public DestinationRule {
    match = List.copyOf(match);
  }

  /** {@code fingerprint}, or the level's name. */
  public String levelName() {
    return fingerprint ? "fingerprint" : level.configName();
  }

  /**
   * Checks a finished session (or its absence) with a server.
   *
   * @param tls the facts, or null when the session stayed in plaintext
   * @param fingerprintHex the server certificate's SHA-256, upper-case hex, or null
   * @param peerNames the DNS names in the server's certificate (subjectAltName, else CN)
   * @param domain the next-hop domain
   * @param host the server's host name
   * @return null when satisfied, else a 4xx refusal (certificate trouble is never permanent)
   */
  public Reply check(TlsFacts tls, String fingerprintHex, List<String> peerNames, String domain, String host) {
    if (!level.mandatory() && !fingerprint) {
      return null;
    }
    if (tls == null) {
      return Reply.of(450, "4.7.4", "TLS is required, but was not offered by host " + host);
    }
    if (fingerprint) {
      return fingerprintHex != null && match.contains(fingerprintHex.toUpperCase(Locale.ROOT)) ? null
          : Reply.of(450, "4.7.5", "Server certificate not trusted: fingerprint does not match for host " + host);
    }
    if (level.atLeast(TlsLevel.VERIFY)) {
      if (tls.verify() != Verify.OK) {
        return Reply.of(450, "4.7.5", "Server certificate not verified (verify=" + tls.verify() + ") for host " + host);
      }
      if (!namesMatch(peerNames, domain, host)) {
        return Reply.of(450, "4.7.5", "Server certificate name does not match " + String.join(":", patterns())
            + " for host " + host);
      }
    }
    return null;
  }

  private List<String> patterns() {
    if (!match.isEmpty()) {
      return match;
    }
    return level == TlsLevel.SECURE ? List.of("nexthop", "dot-nexthop") : List.of("hostname");
  }

  private boolean namesMatch(List<String> peerNames, String domain, String host) {
    for (String pattern : patterns()) {
      for (String name : peerNames) {
        if (matches(pattern, name.toLowerCase(Locale.ROOT), domain.toLowerCase(Locale.ROOT),
            host.toLowerCase(Locale.ROOT))) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean matches(String pattern, String name, String domain, String host) {
    return switch (pattern) {
      case "hostname" -> nameIs(name, host);
      case "nexthop" -> nameIs(name, domain);
      case "dot-nexthop" -> name.endsWith("." + domain);
      default -> pattern.startsWith(".") ? name.endsWith(pattern) : nameIs(name, pattern);
    };
  }

  /** A certificate name, with a leading {@code *.} standing for exactly one label. */
  private static boolean nameIs(String certName, String wanted) {
    if (certName.startsWith("*.")) {
      int dot = wanted.indexOf('.');
      return dot > 0 && wanted.substring(dot).equals(certName.substring(1));
    }
    return certName.equals(wanted);
  }

  @Override
  public String toString() {
    return levelName() + (match.isEmpty() ? "" : " match=" + String.join(fingerprint ? "|" : ":", match));
  }
}
