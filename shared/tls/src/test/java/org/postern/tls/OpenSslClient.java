package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code openssl s_client}, run against a loopback port; blocking, for test threads. */
final class OpenSslClient {

  private OpenSslClient() {}

  /** What s_client printed (stdout and stderr) and how it exited. */
  record Result(int exitCode, String output) {

    /** Whether a handshake completed, as s_client reports it ("Cipher is" something). */
    boolean handshakeCompleted() {
      return output.contains(", Cipher is ") && !output.contains("Cipher is (NONE)");
    }

    /** The certificate the server presented, parsed from s_client's "Server certificate" block. */
    X509Certificate serverCertificate() {
      int begin = output.indexOf("-----BEGIN CERTIFICATE-----");
      int end = output.indexOf("-----END CERTIFICATE-----", begin);
      assertTrue(begin >= 0 && end > begin, "no server certificate in s_client output:\n" + output);
      String pem = output.substring(begin, end + "-----END CERTIFICATE-----".length());
      try {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      } catch (CertificateException e) {
        throw new AssertionError("unparsable server certificate in s_client output", e);
      }
    }
  }

  /** Runs {@code openssl s_client -connect 127.0.0.1:port args...} and lets it quit after the handshake. */
  static Result connect(int port, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
    cmd.addAll(List.of(args));
    // Output goes to a file, so a hung s_client cannot block the test past the deadline below.
    Path log = Files.createTempFile("s_client", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      // "Q" on a line of its own makes s_client close the connection once the handshake is done.
      try (OutputStream in = p.getOutputStream()) {
        in.write("Q\n".getBytes(StandardCharsets.US_ASCII));
      }
      boolean done = p.waitFor(20, TimeUnit.SECONDS);
      String out = Files.readString(log, StandardCharsets.UTF_8);
      if (!done) {
        p.destroyForcibly();
        throw new AssertionError("openssl s_client did not finish within 20 s:\n" + out);
      }
      return new Result(p.exitValue(), out);
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
