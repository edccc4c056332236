package org.postern.smtp;

/**
 * sendmail's one line per TLS handshake, which log parsers already understand:
 * {@code STARTTLS=server, relay=host [192.0.2.1], version=TLSv1.3, verify=NO,
 * cipher=TLS_AES_256_GCM_SHA384, bits=256/256}.
 */
public final class StartTlsLogLine {

  /** Which side of the handshake we were. */
  public enum Role {
    SERVER,
    CLIENT
  }

  private StartTlsLogLine() {}

  /**
   * @param name the peer's host name, or null when unknown (the line then shows only the address)
   * @param ip the peer's address
   */
  public static String format(Role role, String name, String ip, TlsFacts tls) {
    return format(role, (name == null || name.isEmpty()) ? "[" + ip + "]" : name + " [" + ip + "]", tls);
  }

  /**
   * With the peer named as the caller's other lines name it: outbound's lines all say
   * {@code mx.example.net[192.0.2.1]:25}, as Postfix's {@code relay=} does, and so does its
   * handshake line.
   */
  public static String format(Role role, String relay, TlsFacts tls) {
    return "STARTTLS=" + (role == Role.SERVER ? "server" : "client")
        + ", relay=" + relay
        + ", version=" + tls.version()
        + ", verify=" + tls.verify()
        + ", cipher=" + tls.cipher()
        + ", bits=" + tls.bits();
  }
}
