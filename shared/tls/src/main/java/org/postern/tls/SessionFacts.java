package org.postern.tls;

import io.netty.handler.ssl.OpenSslSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.postern.config.Listener;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/** Reads sendmail's TLS macros out of a finished handshake's {@link SSLSession}. */
public final class SessionFacts {

  private static final X509Certificate[] NO_CHAIN = new X509Certificate[0];

  private SessionFacts() {}

  /**
   * The cipher is named as OpenSSL names it ({@link CipherNames}), as sendmail's
   * {@code ${cipher}} is; the certificate names are RFC 2253, which policy compares.
   *
   * @param verify the verification outcome the caller determined (NOT when no certificate was
   *     requested)
   */
  public static TlsFacts of(SSLSession session, Verify verify) {
    return of(session, verify, peerChain(session));
  }

  private static TlsFacts of(SSLSession session, Verify verify, X509Certificate[] chain) {
    int bits = cipherBits(session.getCipherSuite());
    X509Certificate peer = chain.length == 0 ? null : chain[0];
    String subject = peer == null ? "" : peer.getSubjectX500Principal().getName();
    String issuer = peer == null ? "" : peer.getIssuerX500Principal().getName();
    return new TlsFacts(session.getProtocol(), CipherNames.openSsl(session.getCipherSuite()), bits, bits, verify,
        subject, issuer, commonName(subject), commonName(issuer));
  }

  /**
   * The facts of an inbound session: {@code verify} is NOT when the listener asks for no client
   * certificate, else the verifier's verdict on what the client presented (OK, FAIL or NO); the
   * certificate fields describe the client's certificate. CPU-only: fine on an event loop.
   */
  public static TlsFacts ofClient(SSLSession session, Listener.ClientCerts mode, ClientCertVerifier verifier) {
    if (mode == Listener.ClientCerts.NONE) {
      // A client cannot send a certificate nobody asked for, and the engine's way of saying it has
      // none is an exception with a stack trace: a few per cent of a STARTTLS session's CPU.
      return of(session, Verify.NOT, NO_CHAIN);
    }
    X509Certificate[] chain = peerChain(session);
    return of(session, verifier.verify(chain), chain);
  }

  /** The peer's leaf certificate, or null when none was presented or requested. */
  public static X509Certificate peerCertificate(SSLSession session) {
    X509Certificate[] chain = peerChain(session);
    return chain.length == 0 ? null : chain[0];
  }

  public static X509Certificate[] peerChain(SSLSession session) {
    if (session instanceof OpenSslSession s && !s.hasPeerCertificates()) {
      // The engine's way of saying "none" is an exception with a stack trace, and a listener that
      // asks for a certificate (the default) mostly hears "none": ask first.
      return NO_CHAIN;
    }
    try {
      Certificate[] certs = session.getPeerCertificates();
      X509Certificate[] out = new X509Certificate[certs.length];
      for (int i = 0; i < certs.length; i++) {
        out[i] = (X509Certificate) certs[i];
      }
      return out;
    } catch (SSLPeerUnverifiedException e) {
      return NO_CHAIN;
    }
  }

  /**
   * The symmetric cipher's key length, from the suite name; the JDK's SSLSession has no accessor
   * for it. Unknown suites count as 0 bits, so an ENCR requirement fails closed.
   */
  public static int cipherBits(String suite) {
    String s = suite.toUpperCase(Locale.ROOT);
    if (s.contains("AES_256") || s.contains("AES256") || s.contains("CHACHA20")) {
      return 256;
    }
    if (s.contains("AES_128") || s.contains("AES128")) {
      return 128;
    }
    if (s.contains("3DES") || s.contains("DES_EDE")) {
      return 112;
    }
    return 0;
  }

  static String commonName(String dn) {
    if (dn.isEmpty()) {
      return "";
    }
    try {
      for (Rdn rdn : new LdapName(dn).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return "";
    }
    return "";
  }
}
