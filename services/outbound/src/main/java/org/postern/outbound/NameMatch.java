package org.postern.outbound;

import java.security.cert.X509Certificate;
import java.util.List;
import org.postern.smtp.TlsLevel;
import org.postern.tls.PeerVerification;

/**
 * What the server certificate must match at levels {@code verify} and {@code secure}, as Postfix
 * has it: the {@code match=} patterns of the policy entry, or else the level's default
 * ({@code smtp_tls_verify_cert_match = hostname}; {@code smtp_tls_secure_cert_match = nexthop,
 * dot-nexthop}: at secure the MX host name alone is not trusted, since an MX lookup without
 * DNSSEC can be forged), with the two names the words refer to.
 *
 * @param patterns {@code hostname}, {@code nexthop}, {@code dot-nexthop}, names and {@code .domain}s
 * @param hostname the server's host name (MX name or transport host)
 * @param nexthop the next-hop domain (the recipient domain, or the transport table's host)
 */
record NameMatch(List<String> patterns, String hostname, String nexthop) {

  NameMatch {
    patterns = List.copyOf(patterns);
  }

  /** The check for {@code level}: none below verify. */
  static NameMatch of(TlsLevel level, List<String> policyPatterns, String hostname, String nexthop) {
    if (level != TlsLevel.VERIFY && level != TlsLevel.SECURE) {
      return new NameMatch(List.of(), hostname, nexthop);
    }
    List<String> patterns = !policyPatterns.isEmpty() ? policyPatterns
        : level == TlsLevel.SECURE ? List.of("nexthop", "dot-nexthop") : List.of("hostname");
    return new NameMatch(patterns, hostname, nexthop);
  }

  boolean required() {
    return !patterns.isEmpty();
  }

  boolean satisfiedBy(X509Certificate leaf) {
    return !required() || leaf != null && PeerVerification.certificateMatches(leaf, patterns, hostname, nexthop);
  }

  /** For replies and logs: {@code nexthop:dot-nexthop (nexthop example.net)}, in the policy table's own form. */
  String describe() {
    StringBuilder sb = new StringBuilder(String.join(":", patterns));
    boolean host = patterns.contains("hostname");
    boolean next = patterns.contains("nexthop") || patterns.contains("dot-nexthop");
    if (host || next) {
      sb.append(" (");
      if (host) {
        sb.append("hostname ").append(hostname);
      }
      if (next) {
        sb.append(host ? ", " : "").append("nexthop ").append(nexthop);
      }
      sb.append(')');
    }
    return sb.toString();
  }

  /** Part of a pooled session's key: a session checked for one set of names carries no mail for another. */
  String poolKey() {
    return required() ? String.join(":", patterns) + "|" + nexthop : "";
  }
}
