package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An SMTP session inside STARTTLS driven through {@code openssl s_client -starttls smtp}: the real
 * OpenSSL client, kept open so a test can show that it outlives a certificate reload.
 */
final class StartTlsSession implements AutoCloseable {

  private final Process p;
  private final OutputStream in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  StartTlsSession(Path errFile, int port, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-starttls", "smtp", "-connect",
        "127.0.0.1:" + port, "-quiet", "-ign_eof"));
    cmd.addAll(List.of(extra));
    p = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
    in = p.getOutputStream();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l.strip());
        }
      } catch (IOException ignored) {
        // the process ended
      }
      lines.add("<EOF>");
    }, "s_client-session");
    reader.setDaemon(true);
    reader.start();
  }

  /** Sends a line and returns the final line of the reply. */
  String command(String line) throws Exception {
    in.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
    while (true) {
      String l = lines.poll(20, TimeUnit.SECONDS);
      assertNotNull(l, "no reply to " + line + " within 20 s");
      if (l.equals("<EOF>") || l.length() < 4 || l.charAt(3) != '-') {
        return l;
      }
    }
  }

  /**
   * The certificate a new STARTTLS connection is served: one handshake with {@code s_client},
   * which prints the server's certificate and ends when its input does.
   */
  static X509Certificate served(int port) throws Exception {
    Clients.Result r = Clients.openssl("s_client", "-starttls", "smtp", "-connect", "127.0.0.1:" + port);
    int begin = r.output().indexOf("-----BEGIN CERTIFICATE-----");
    int end = r.output().indexOf("-----END CERTIFICATE-----");
    if (begin < 0 || end < 0) {
      throw new AssertionError("s_client saw no certificate: " + r.output());
    }
    String pem = r.output().substring(begin, end + "-----END CERTIFICATE-----".length());
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  @Override
  public void close() {
    p.destroyForcibly();
  }
}
