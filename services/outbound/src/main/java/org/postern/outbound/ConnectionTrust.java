package org.postern.outbound;

import org.postern.smtp.TlsFacts;

/**
 * Postfix's summary of an outbound TLS session, so that log readers that know it need nothing
 * new: {@code Verified} when DANE matched or the chain was trusted and the name checked,
 * {@code Trusted} when the chain was trusted but no name was asked for, {@code Untrusted} otherwise.
 */
enum ConnectionTrust {
  UNTRUSTED("Untrusted"),
  TRUSTED("Trusted"),
  VERIFIED("Verified");

  private final String word;

  ConnectionTrust(String word) {
    this.word = word;
  }

  /** {@code Verified TLS connection established to mx.example[192.0.2.1]:25: TLSv1.3 with cipher X (256/256 bits)}. */
  static String line(ConnectionTrust trust, String relay, TlsFacts tls) {
    return trust.word + " TLS connection established to " + relay + ": " + tls.version() + " with cipher "
        + tls.cipher() + " (" + tls.bits() + " bits)";
  }
}
