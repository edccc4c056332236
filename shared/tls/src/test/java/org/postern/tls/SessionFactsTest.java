package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.postern.config.Listener.ClientCerts;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/** The facts of an inbound session, read without asking the engine for what it cannot have. */
class SessionFactsTest {

  /**
   * A session whose engine would answer a request for the client's certificates with an
   * exception (and its stack trace): the facts of a listener that asked for none must not ask.
   */
  private static SSLSession sessionWithoutPeer(boolean failIfAsked) {
    return (SSLSession) Proxy.newProxyInstance(SSLSession.class.getClassLoader(), new Class<?>[] {SSLSession.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getProtocol" -> "TLSv1.3";
          case "getCipherSuite" -> "TLS_AES_256_GCM_SHA384";
          case "getPeerCertificates" -> {
            if (failIfAsked) {
              throw new AssertionError("asked for the client's certificates though none were requested");
            }
            throw new SSLPeerUnverifiedException("peer not verified");
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void aListenerThatAsksForNoCertificateDoesNotAskTheEngine() {
    TlsFacts facts = SessionFacts.ofClient(sessionWithoutPeer(true), ClientCerts.NONE, ClientCertVerifier.none());
    assertEquals(new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, Verify.NOT, "", "", "", ""), facts);
  }

  @Test
  void aClientWithoutACertificateWhereOneWasAskedForIsNo() {
    TlsFacts facts = SessionFacts.ofClient(sessionWithoutPeer(false), ClientCerts.REQUEST, ClientCertVerifier.none());
    assertEquals(Verify.NO, facts.verify());
    assertEquals("", facts.certSubject());
  }
}
