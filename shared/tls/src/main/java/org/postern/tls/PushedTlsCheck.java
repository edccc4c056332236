package org.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.postern.config.TlsConfig;

/**
 * Checks the TLS pieces of a configuration push before anything is written or swapped: each
 * certificate chain with its key (PEM, not encrypted, the key belonging to the first certificate),
 * the CA file and CRL, the protocols and cipher suites against the engine that will serve them,
 * and that a server context builds from all of it. Every problem names the pushed item or key.
 * CPU only, no files: call it on a worker, on every node whatever its roles.
 */
public final class PushedTlsCheck {

  private PushedTlsCheck() {}

  /**
   * A pushed chain and key as credentials.
   *
   * @param name the pushed certificate's name, which every error starts with
   * @throws IOException saying what is wrong: no PEM certificate, no or an encrypted key, a key
   *     that is not the certificate's
   */
  public static ServerCredentials credentials(String name, String chainPem, String keyPem) throws IOException {
    Path label = Path.of(name);
    List<X509Certificate> chain = ServerCredentials.parseChain(label, chainPem);
    PrivateKey key;
    try {
      key = PrivateKeys.parse(Path.of(name + " (key)"), keyPem);
    } catch (PrivateKeys.EncryptedKeyFileException e) {
      throw new IOException(name + ": the private key is encrypted; a node cannot type a passphrase, so push an"
          + " unencrypted key (openssl pkey -in KEY -out KEY.plain, under umask 077)", null);
    }
    if (!PrivateKeys.matches(key, chain.get(0).getPublicKey())) {
      throw new IOException(name + ": the private key does not belong to the first certificate ("
          + chain.get(0).getSubjectX500Principal().getName() + ")");
    }
    return new ServerCredentials(chainPem, keyPem, chain, Fingerprints.sha256(chain.get(0)), "pushed " + name, key);
  }

  /** A pushed chain alone, for a node that has nothing to serve it with: parsed, leaf first. */
  public static List<X509Certificate> chain(String name, String chainPem) throws IOException {
    return ServerCredentials.parseChain(Path.of(name), chainPem);
  }

  /** The certificates of a pushed CA file; at least one. */
  public static List<X509Certificate> caFile(String name, String text) throws IOException {
    return CaCertificates.certificates(Path.of(name), text);
  }

  /** Checks a pushed CRL file: PEM or DER, at least one CRL. */
  public static void crlFile(String name, String text) throws IOException {
    ClientCertVerifier.crls(Path.of(name), text);
  }

  /**
   * What is wrong with {@code tls.protocols} and {@code tls.ciphers} for {@code engine}: a suite the
   * engine does not know, or no suite that the enabled protocols can use. Empty when nothing is.
   */
  public static List<String> settingsProblems(TlsConfig tls, TlsEngine engine) {
    List<String> problems = new ArrayList<>();
    Set<String> jdk = engine.isOpenSsl() ? Set.of() : jdkSuites();
    for (String c : tls.ciphers()) {
      boolean known = engine.isOpenSsl() ? OpenSsl.isCipherSuiteAvailable(c) : jdk.contains(c);
      if (!known) {
        problems.add("tls.ciphers: " + c + " is not a cipher suite the " + engine.description() + " engine offers");
      }
    }
    boolean tls13 = tls.protocols().contains("TLSv1.3");
    boolean tls12 = tls.protocols().contains("TLSv1.2");
    boolean usable = tls.ciphers().stream().anyMatch(c -> isTls13Suite(c) ? tls13 : tls12);
    if (!usable) {
      problems.add("tls.ciphers: no suite in it can be used with tls.protocols " + String.join(", ", tls.protocols())
          + " (TLS 1.3 uses only TLS_AES_* and TLS_CHACHA20_*, TLS 1.2 only the others)");
    }
    return problems;
  }

  /**
   * Builds the server context that would serve {@code creds} with {@code tls}'s protocols and
   * suites on {@code engine}, once per certificate, and opens an engine from it.
   *
   * @return null when it builds, else what went wrong, naming the certificate
   */
  public static String contextProblem(List<ServerCredentials> creds, TlsConfig tls, TlsEngine engine) {
    for (ServerCredentials c : creds) {
      SslContext ctx = null;
      try {
        ctx = SslContextBuilder.forServer(c.privateKey(), c.chain().toArray(X509Certificate[]::new))
            .sslProvider(engine.isOpenSsl() ? SslProvider.OPENSSL : SslProvider.JDK)
            .protocols(tls.protocols()).ciphers(tls.ciphers()).build();
        SSLEngine e = ctx.newEngine(ByteBufAllocator.DEFAULT);
        try {
          if (Arrays.stream(e.getEnabledProtocols()).noneMatch(p -> p.equals("TLSv1.2") || p.equals("TLSv1.3"))) {
            return c.source() + ": the TLS context enables neither TLSv1.2 nor TLSv1.3";
          }
          if (e.getEnabledCipherSuites().length == 0) {
            return c.source() + ": the TLS context enables no cipher suite of tls.ciphers";
          }
        } finally {
          ReferenceCountUtil.release(e);
        }
      } catch (SSLException | RuntimeException ex) {
        return c.source() + ": no TLS context can be built with it: " + ex.getMessage();
      } finally {
        ReferenceCountUtil.release(ctx);
      }
    }
    return null;
  }

  private static boolean isTls13Suite(String c) {
    return c.startsWith("TLS_AES_") || c.startsWith("TLS_CHACHA20_");
  }

  private static Set<String> jdkSuites() {
    try {
      return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
    } catch (GeneralSecurityException e) {
      return Set.of();
    }
  }
}
