package org.postern.smtp;

import java.util.Locale;

/**
 * TLS security levels, ordered from weakest to strongest as Postfix documents them: a destination
 * that requires {@code verify} is satisfied by a session at {@code verify} or {@code secure}, never
 * by one at {@code encrypt}. The order is the point of this type: compare with {@link #atLeast}.
 *
 * <p>{@code dane} and {@code dane-only} sit between {@code encrypt} and {@code verify}, where
 * Postfix puts them (its TLS_LEV_DANE and TLS_LEV_DANE_ONLY): as requested levels they promise
 * less than {@code verify}, since {@code dane} drops to {@code may} (or {@code encrypt}) for a
 * destination without usable TLSA records under DNSSEC, and both trust the destination's own DNS
 * rather than a CA; {@code dane-only} is above {@code dane} because it never drops. Outbound turns
 * either into the level it will actually use for each address before connecting (see
 * {@code Dane} in outbound), so a session runs at {@code dane} only with usable TLSA records.
 */
public enum TlsLevel {
  /** No TLS, even when offered. */
  NONE,
  /** Opportunistic: TLS when offered, certificate not verified, plaintext otherwise. */
  MAY,
  /** Mandatory TLS, certificate not verified. */
  ENCRYPT,
  /** DANE TLSA records authenticate the server when DNSSEC finds usable ones; else as {@link #MAY}. */
  DANE,
  /** Only to servers with usable TLSA records under DNSSEC, authenticated by them; else defer. */
  DANE_ONLY,
  /** Mandatory TLS with a certificate that chains to a trusted CA. */
  VERIFY,
  /** Mandatory TLS, verified chain, and the peer name matches. */
  SECURE;

  public boolean atLeast(TlsLevel other) {
    return compareTo(other) >= 0;
  }

  /**
   * True when this level forbids plaintext whatever DNS says. Not {@code dane}: it forbids
   * plaintext only towards servers with usable TLSA records, which outbound finds out per address.
   */
  public boolean mandatory() {
    return atLeast(ENCRYPT) && this != DANE;
  }

  /** The level's name in settings and policy tables: {@code dane-only}, as Postfix spells it. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static TlsLevel parse(String s) {
    String word = s.strip();
    if (word.indexOf('_') >= 0) {
      throw new IllegalArgumentException("no TLS level " + s);
    }
    return valueOf(word.replace('-', '_').toUpperCase(Locale.ROOT));
  }
}
