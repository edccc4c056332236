package org.postern.outbound;

/**
 * One address to try: the host name it was found under (an MX host, a transport-table host, or
 * an IP literal), the address itself, and the port.
 */
record Target(String host, String ip, int port) {

  /** Postfix's {@code relay=} form: {@code mx.example[192.0.2.1]:25}. */
  String relay() {
    return host + "[" + ip + "]:" + port;
  }

  /** {@code 192.0.2.1:25} or {@code [2001:db8::1]:25}, as connect errors name it. */
  String address() {
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
  }
}
