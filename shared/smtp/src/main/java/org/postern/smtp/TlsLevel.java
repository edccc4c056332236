package org.postern.smtp;

import java.util.Locale;

/**
 * TLS security levels, ordered from weakest to strongest as Postfix documents them: a destination
 * that requires {@code verify} is satisfied by a session at {@code verify} or {@code secure}, never
 * by one at {@code encrypt}. The order is the point of this type: compare with {@link #atLeast}.
 */
public enum TlsLevel {
  /** No TLS, even when offered. */
  NONE,
  /** Opportunistic: TLS when offered, certificate not verified, plaintext otherwise. */
  MAY,
  /** Mandatory TLS, certificate not verified. */
  ENCRYPT,
  /** Mandatory TLS authenticated by DANE TLSA records. */
  DANE,
  /** Mandatory TLS with a certificate that chains to a trusted CA. */
  VERIFY,
  /** Mandatory TLS, verified chain, and the peer name matches. */
  SECURE;

  public boolean atLeast(TlsLevel other) {
    return compareTo(other) >= 0;
  }

  /** True when this level forbids falling back to plaintext. */
  public boolean mandatory() {
    return atLeast(ENCRYPT);
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static TlsLevel parse(String s) {
    return valueOf(s.strip().toUpperCase(Locale.ROOT));
  }
}
