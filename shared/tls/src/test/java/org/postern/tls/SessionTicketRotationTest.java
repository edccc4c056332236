package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener;
import org.postern.config.TlsConfig;

/**
 * Key rotation on a live listener, with the real OpenSSL client and TLS 1.3 (whose resumption is
 * by ticket only): a ticket sealed in one period still opens in the next, and no longer in the one
 * after. The clock is the test's, handed to {@link SessionTickets#rotate}; no waiting.
 */
class SessionTicketRotationTest {

  @TempDir
  Path dir;

  @Test
  void aTicketOpensDuringTheNextPeriodAndNotAfter() throws Exception {
    Path secret = dir.resolve("ticket.key");
    Files.createFile(secret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(secret, "0123456789abcdef0123456789abcdef0123456789abcdef\n");
    SessionTickets tickets = new SessionTickets(true, secret.toString(), Duration.ofHours(1));
    Instant t0 = Instant.parse("2026-12-07T10:30:00Z");
    tickets.load(t0);
    TlsEngine engine = TlsEngine.choose("openssl", List.of(), tickets);
    TlsConfig tls = ConfigLoader.load(null, List.of()).tls();
    Vertx vertx = Vertx.vertx();
    try {
      var serverTls = ServerTls.options(ServerCredentials.loadAll(tls, dir, "mx.postern.test"), tls,
          Listener.ClientCerts.NONE, Duration.ofSeconds(10));
      NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0)
          .setSslEngineOptions(engine.options()));
      // TLS from the first byte (the client speaks first). The greeting makes the server write, and
      // BoringSSL sends TLS 1.3 tickets with its first write.
      int port = server.connectHandler(s -> s.upgradeToSsl(serverTls).onSuccess(v -> s.write("hello\n")))
          .listen().await().actualPort();
      Path session = dir.resolve("session");
      assertEquals("New", handshake(port, "-sess_out", session));
      assertEquals("Reused", handshake(port, "-sess_in", session));
      tickets.rotate(t0.plus(Duration.ofHours(1)));
      assertEquals("Reused", handshake(port, "-sess_in", session), "the previous period's key still opens it");
      tickets.rotate(t0.plus(Duration.ofHours(2)));
      assertEquals("New", handshake(port, "-sess_in", session), "two periods on, its key is gone");
    } finally {
      vertx.close().await();
    }
  }

  /** One TLS 1.3 connection: waits for the greeting (and so the tickets), then ends it; "New" or "Reused". */
  private static String handshake(int port, String option, Path session) throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_3", option,
        session.toString(), "-ign_eof").redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (IOException ignored) {
        // the process ended
      }
      lines.add("<EOF>");
    });
    reader.setDaemon(true);
    reader.start();
    StringBuilder all = new StringBuilder();
    String result = null;
    try {
      while (true) {
        String l = lines.poll(20, TimeUnit.SECONDS);
        assertNotNull(l, "s_client printed nothing more within 20 s: " + all);
        all.append(l).append('\n');
        if (l.startsWith("New, ") || l.startsWith("Reused, ")) {
          result = l.substring(0, l.indexOf(','));
        }
        if (l.equals("hello") || l.equals("<EOF>")) {
          break;
        }
      }
      assertNotNull(result, "no handshake summary: " + all);
      p.getOutputStream().close();
      p.waitFor(20, TimeUnit.SECONDS);
      return result;
    } finally {
      p.destroyForcibly();
    }
  }
}
