package org.postern.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The server's trust manager when it asks for client certificates: it accepts any chain the
 * client sends, so the handshake never fails over an unknown, expired or revoked certificate.
 * As in sendmail, the outcome is recorded ({@code verify=FAIL}) by {@link ClientCertVerifier}
 * after the handshake and policy decides what it means.
 *
 * <p>Extended, so the JDK engine uses it as it is instead of wrapping it with its own algorithm
 * checks, which would fail the handshake on, say, a SHA-1-signed client certificate.
 */
final class RecordOnlyClientTrust extends X509ExtendedTrustManager {

  static final RecordOnlyClientTrust INSTANCE = new RecordOnlyClientTrust();

  private RecordOnlyClientTrust() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {
    // Deliberately accepting: see the class comment.
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
    // Deliberately accepting: see the class comment.
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    // Deliberately accepting: see the class comment.
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("server-side trust manager: it judges no server certificates");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  /**
   * No CA names in the certificate request: clients then offer whatever certificate they have,
   * which is what the verdict afterwards is about.
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
