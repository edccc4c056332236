package org.postern.config;

/**
 * Where a transport-table entry sends mail. {@code [host]:port} connects to that host directly,
 * bypassing MX lookup, as in Postfix; {@code host:port} without brackets looks up the MX records of
 * {@code host} first.
 */
public record NextHop(String host, int port, boolean mxLookup) {

  public static NextHop parse(String text) {
    String s = text.strip();
    boolean bracketed = s.startsWith("[");
    HostPort hp = HostPort.parse(s, 25);
    return new NextHop(hp.host(), hp.port(), !bracketed);
  }

  @Override
  public String toString() {
    return (mxLookup ? host : "[" + host + "]") + ":" + port;
  }
}
