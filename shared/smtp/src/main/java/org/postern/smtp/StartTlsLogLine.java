package org.postern.smtp;

/**
 * sendmail's lines per TLS handshake, which log parsers already understand:
 * {@code STARTTLS=server, relay=host [192.0.2.1], version=TLSv1.3, verify=NO,
 * cipher=TLS_AES_256_GCM_SHA384, bits=256/256}; before it, when the peer presented a
 * certificate, {@code STARTTLS=server, cert-subject=/CN=host, cert-issuer=/O=Example/CN=Mail+20CA};
 * and, outbound, one line when STARTTLS did not give a session
 * ({@code STARTTLS=client, relay=..., verify=TEMP, reply=454 4.7.0 ...}).
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

  /**
   * The peer certificate's names, as sendmail logs them before the handshake line, in the
   * spelling of {@code ${cert_subject}} and {@code ${cert_issuer}} ({@link CertificateDn}), so a
   * {@code CERTSUBJECT:} or {@code CERTISSUER:} entry can be pasted from it.
   *
   * @return the line, or null when the peer presented no certificate
   */
  public static String certificate(Role role, TlsFacts tls) {
    if (tls.certSubject().isEmpty() && tls.certIssuer().isEmpty()) {
      return null;
    }
    return "STARTTLS=" + (role == Role.SERVER ? "server" : "client")
        + ", cert-subject=" + CertificateDn.sendmail(tls.certSubject())
        + ", cert-issuer=" + CertificateDn.sendmail(tls.certIssuer());
  }

  /**
   * A STARTTLS step that gave no session: the {@code ${verify}} value it leaves (TEMP for a 4xx
   * to STARTTLS, PROTOCOL for any other refusal, SOFTWARE for a failed handshake) and why.
   */
  public static String failure(Role role, String relay, Verify verify, String why) {
    return "STARTTLS=" + (role == Role.SERVER ? "server" : "client")
        + ", relay=" + relay
        + ", verify=" + verify
        + ", " + why;
  }
}
