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

  /**
   * The client's verified host name (forward-confirmed reverse DNS), or null when it is unknown;
   * Postfix's literal {@code unknown} is not a name and is refused here.
   */
  static void checkClientName(String name) {
    if (name != null && (name.length() > 255 || name.equalsIgnoreCase("unknown") || !hostName(name))) {
      throw new IllegalArgumentException("clientName must be a host name or absent: " + name);
    }
  }

  /** What inbound knows of the client in every mid-session question (MAIL, RCPT). */
  static void checkSession(String clientIp, String clientName, String helo, String authUser) {
    if (clientIp == null || !IpLiterals.isLiteral(clientIp)) {
      throw new IllegalArgumentException("clientIp must be an IP literal: " + clientIp);
    }
    checkClientName(clientName);
    if (helo == null || helo.length() > 255) {
      throw new IllegalArgumentException("bad helo");
    }
    if (authUser != null && (authUser.isEmpty() || authUser.length() > 255)) {
      throw new IllegalArgumentException("bad authUser");
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
