package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;

/**
 * AUTH to a relayhost (the transport table's {@code *=[host]:port}) with credentials from
 * outbound.relay_credentials: PLAIN or LOGIN, and only inside TLS.
 */
@ExtendWith(VertxExtension.class)
class RelayAuthTest {

  @TempDir
  Path dir;

  private Harness harness;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void authenticatesWithPlainInsideTls(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("AUTH LOGIN PLAIN"));
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
    ScriptedSmtpServer.Command auth = server.commandDetails().stream()
        .filter(c -> c.line().startsWith("AUTH")).findFirst().orElseThrow();
    assertEquals("AUTH PLAIN " + b64("\0relayuser\0s3cret pass"), auth.line());
    assertTrue(auth.tls(), "AUTH was sent before TLS");
  }

  @Test
  void authenticatesWithLoginWhenPlainIsNotOffered(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("AUTH LOGIN"));
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
    List<String> c = server.commands();
    int i = c.indexOf("AUTH LOGIN");
    assertTrue(i > 0, c.toString());
    assertEquals(List.of(b64("relayuser"), b64("s3cret pass")), c.subList(i + 1, i + 3));
  }

  @Test
  void neverSendsCredentialsInPlaintext(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx,
        ScriptedSmtpServer.Script.standard().withExtensions("AUTH LOGIN PLAIN").withoutStarttls());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals(451, r.reply().code());
    assertEquals("4.7.0", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL")),
        server.commands().toString());
    assertTrue(harness.logged("not sending AUTH to 127.0.0.1[127.0.0.1]:" + server.port() + " without TLS"),
        harness.logText());
  }

  @Test
  void defersWhenTheRelayRefusesTheCredentials(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("AUTH PLAIN")
        .replying("AUTH", "535 5.7.8 authentication credentials invalid"));
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.7.0", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void refusesToStartWithACredentialsFileOthersCanRead(Vertx vertx) throws Exception {
    Path file = credentials(1234);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    Exception e = assertThrows(Exception.class, () -> harness.deploy("outbound.relay_credentials=" + file));
    assertTrue(String.valueOf(e.getMessage()).contains("outbound.relay_credentials: " + file), e.toString());
  }

  private ScriptedSmtpServer start(Vertx vertx, ScriptedSmtpServer.Script script) throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port, script)
        .await(10, TimeUnit.SECONDS);
    harness.deploy("outbound.transport=*=[127.0.0.1]:" + port, "outbound.relay_credentials=" + credentials(port));
    return server;
  }

  private Path credentials(int port) throws Exception {
    Path file = dir.resolve("relay_credentials");
    Files.writeString(file, "# relayhost login\n[127.0.0.1]:" + port + " relayuser:s3cret pass\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
