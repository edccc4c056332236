package org.postern.bus;

import org.postern.config.IpLiterals;
import org.postern.config.Values;

/** Checks on the peer descriptions the outbound TLS contracts carry. */
final class Peers {

  private Peers() {}

  /** A host name or an IP literal. */
  static void checkHost(String host) {
    if (host == null || !(IpLiterals.isLiteral(host) || host.length() <= 255 && hostName(host))) {
      throw new IllegalArgumentException("host must be a host name or an IP literal: " + host);
    }
  }

  private static boolean hostName(String host) {
    try {
      Values.hostname().apply(host);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
