package org.postern.loadgen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Address parsing that refuses anything but loopback. Load must never leave this machine, so only
 * IP literals in 127.0.0.0/8 or {@code ::1} and the name {@code localhost} are accepted; no other
 * name is resolved (a DNS lookup would already be traffic that leaves the machine).
 */
public final class Loopback {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private Loopback() {}

  /**
   * Parses {@code HOST:PORT} or {@code [V6]:PORT}.
   *
   * @throws IllegalArgumentException saying what is wrong, including a non-loopback host
   */
  public static InetSocketAddress target(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("missing HOST:PORT");
    }
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("'" + text + "' is not [ADDRESS]:PORT");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || text.indexOf(':') != colon) {
        throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (write IPv6 as [::1]:PORT)");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
    }
    return new InetSocketAddress(address(host), port(port));
  }

  /** A TCP port, 0 to 65535. */
  public static int port(String text) {
    try {
      int p = Integer.parseInt(text);
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("port " + text + " is out of range");
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a port number");
    }
  }

  /**
   * A loopback address from an IP literal or {@code localhost}.
   *
   * @throws IllegalArgumentException for any other host
   */
  public static InetAddress address(String host) {
    InetAddress a;
    try {
      if (host.equalsIgnoreCase("localhost")) {
        a = InetAddress.getLoopbackAddress();
      } else if (IPV4.matcher(host).matches() || host.contains(":")) {
        // A literal: InetAddress parses it without any lookup.
        a = InetAddress.getByName(host);
      } else {
        throw new IllegalArgumentException("'" + host + "' is not a loopback address: give 127.0.0.0/8, ::1 or "
            + "localhost (other names are not resolved)");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + host + "' is not an IP address");
    }
    if (!a.isLoopbackAddress()) {
      throw new IllegalArgumentException(a.getHostAddress() + " is not a loopback address: load may only go to "
          + "127.0.0.0/8 or ::1");
    }
    return a;
  }

  /** {@code 127.0.0.1:2525} or {@code [::1]:2525}. */
  public static String format(InetSocketAddress a) {
    String h = a.getAddress().getHostAddress();
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
  }
}
