package org.postern.config;

/** {@code host:port}, {@code [host]:port} or {@code [v6-address]:port}. */
public record HostPort(String host, int port) {

  public HostPort {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    // Port 0 is only meaningful for a listener ("any free port"); Listener checks for it itself.
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
    }
  }

  /**
   * @param defaultPort the port when none is given, or -1 when a port is mandatory
   */
  public static HostPort parse(String text, int defaultPort) {
    return parse(text, defaultPort, false);
  }

  /** As {@link #parse(String, int)}; {@code allowZero} admits port 0 (listeners: any free port). */
  static HostPort parse(String text, int defaultPort, boolean allowZero) {
    String s = text.strip();
    String host;
    String portText = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("missing ']' in '" + text + "'");
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (rest.startsWith(":")) {
        portText = rest.substring(1);
      } else if (!rest.isEmpty()) {
        throw new IllegalArgumentException("unexpected '" + rest + "' after ']' in '" + text + "'");
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon >= 0 && s.indexOf(':') == colon) {
        host = s.substring(0, colon);
        portText = s.substring(colon + 1);
      } else {
        host = s;
      }
    }
    int port = defaultPort;
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port '" + portText + "' in '" + text + "'");
      }
    }
    if (port == -1) {
      throw new IllegalArgumentException("a port is required in '" + text + "'");
    }
    if (port == 0 && !allowZero) {
      throw new IllegalArgumentException("port must be between 1 and 65535, got 0");
    }
    return new HostPort(host, port);
  }
}
