package org.postern.outbound;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.postern.tls.PeerVerification;

/**
 * Judges a server's certificate chain against the usable TLSA records of its host (RFC 7671,
 * RFC 7672 §3.1): pure, no sockets and no clock of its own.
 *
 * <p>DANE-EE(3) matches the leaf, and nothing else is checked: names and dates are the TLSA
 * record's business (RFC 7672 §3.1.1). DANE-TA(2) matches a certificate the server presents in its
 * chain; the chain from the leaf up to it must then hold together (each certificate signed by the
 * next, issuers being CAs, dates valid below the trust anchor), and the leaf must carry one of the
 * names (RFC 7672 §3.2.2: the MX host name, or the TLSA base domain when that differs). A trust
 * anchor the server does not send is not found: RFC 7671 §8.1 asks servers to send it.
 */
final class TlsaMatch {

  private TlsaMatch() {}

  /**
   * The verdict: the record that matched and at which depth of the chain (0 is the leaf), or why
   * none did.
   */
  record Result(Tlsa record, int depth, String problem) {
    boolean matched() {
      return record != null;
    }
  }

  /**
   * @param records the host's TLSA records; unusable ones are skipped
   * @param chain the server's chain, leaf first
   * @param names the names a DANE-TA leaf may be issued for
   * @param now the time against which DANE-TA chains are dated
   */
  static Result check(List<Tlsa> records, X509Certificate[] chain, List<String> names, Date now) {
    if (chain == null || chain.length == 0) {
      return new Result(null, -1, "the server presented no certificate");
    }
    for (Tlsa t : records) {
      if (t.usable() && t.usage() == Tlsa.DANE_EE && matches(t, chain[0])) {
        return new Result(t, 0, "");
      }
    }
    String problem = "no TLSA record matched the certificate chain";
    for (Tlsa t : records) {
      if (!t.usable() || t.usage() != Tlsa.DANE_TA) {
        continue;
      }
      for (int depth = 0; depth < chain.length; depth++) {
        if (!matches(t, chain[depth])) {
          continue;
        }
        String broken = brokenChain(chain, depth, now);
        if (broken != null) {
          problem = "DANE-TA record " + t.describe() + " matched at depth " + depth + ", but " + broken;
          continue;
        }
        if (names.stream().noneMatch(n -> PeerVerification.certificateMatches(chain[0], List.of("hostname"), n, n))) {
          problem = "DANE-TA record " + t.describe() + " matched at depth " + depth
              + ", but the certificate is not for " + String.join(" or ", names);
          continue;
        }
        return new Result(t, depth, "");
      }
    }
    return new Result(null, -1, problem);
  }

  /** Whether {@code t}'s data is this certificate's (selector 0) or its public key's (selector 1). */
  static boolean matches(Tlsa t, X509Certificate cert) {
    try {
      return t.matching() <= 2 && MessageDigest.isEqual(associationData(cert, t.selector(), t.matching()), t.data());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Why the chain from the leaf up to the trust anchor at {@code top} does not hold, or null. */
  private static String brokenChain(X509Certificate[] chain, int top, Date now) {
    for (int i = 0; i < top; i++) {
      X509Certificate issuer = chain[i + 1];
      if (!issuer.getSubjectX500Principal().equals(chain[i].getIssuerX500Principal())) {
        return "the certificate at depth " + i + " was not issued by the one at depth " + (i + 1);
      }
      if (issuer.getBasicConstraints() < 0) {
        return "the certificate at depth " + (i + 1) + " is not a CA";
      }
      try {
        chain[i].verify(issuer.getPublicKey());
      } catch (GeneralSecurityException e) {
        return "the signature on the certificate at depth " + i + " does not verify";
      }
    }
    // The trust anchor's own dates do not count (RFC 7671 §5.2.1 trusts it as a bare key).
    for (int i = 0; i < Math.max(top, 1); i++) {
      try {
        chain[i].checkValidity(now);
      } catch (GeneralSecurityException e) {
        return "the certificate at depth " + i + " is not valid now (" + e.getMessage() + ")";
      }
    }
    return null;
  }

  /** The data a TLSA record of this selector and matching type holds for {@code cert}. */
  static byte[] associationData(X509Certificate cert, int selector, int matching) throws GeneralSecurityException {
    byte[] selected = selector == 0 ? cert.getEncoded() : cert.getPublicKey().getEncoded();
    return switch (matching) {
      case 1 -> MessageDigest.getInstance("SHA-256").digest(selected);
      case 2 -> MessageDigest.getInstance("SHA-512").digest(selected);
      default -> Arrays.copyOf(selected, selected.length);
    };
  }
}
