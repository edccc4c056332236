package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;

/**
 * The SMTP client's extensions against a scripted server on loopback: what it offers decides what
 * the client sends, and every reply is checked. Plaintext (TLS level none) keeps the transcripts
 * short; STARTTLS has its own tests.
 */
@ExtendWith(VertxExtension.class)
class ClientExtensionsTest {

  private Harness harness;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.NONE);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void pipelinesMailAndRcptWhenOffered(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING"));
    DeliveryReport report = harness.deliver(Harness.request("x\r\n", "a@example.net", "b@example.net"));

    assertTrue(report.results().stream().allMatch(r -> r.status() == Status.SENT), report.toString());
    List<ScriptedSmtpServer.Command> c = server.commandDetails();
    int mail = indexOf(c, "MAIL FROM:");
    // MAIL and both RCPTs came in one TCP read: one write, no waiting for replies in between.
    assertEquals(c.get(mail).read(), c.get(mail + 1).read(), c.toString());
    assertEquals(c.get(mail).read(), c.get(mail + 2).read(), c.toString());
    assertEquals("RCPT TO:<b@example.net>", c.get(mail + 2).line());
  }

  @Test
  void pipelinesDataWithTheEnvelopeWhenOffered(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING"));
    DeliveryReport report = harness.deliver(Harness.request("x\r\n", "a@example.net"));

    assertEquals(Status.SENT, report.results().get(0).status(), report.toString());
    List<ScriptedSmtpServer.Command> c = server.commandDetails();
    int mail = indexOf(c, "MAIL FROM:");
    // RFC 2920: DATA may end a group; it came in the same TCP read as MAIL and RCPT.
    assertEquals("DATA", c.get(mail + 2).line(), c.toString());
    assertEquals(c.get(mail).read(), c.get(mail + 2).read(), c.toString());
    assertArrayEquals("x\r\n".getBytes(StandardCharsets.US_ASCII), server.messages().get(0));
  }

  @Test
  void endsAPipelinedDataAtOnceWhenNoRecipientWasAccepted(Vertx vertx) throws Exception {
    // The server answers DATA with 354 although it refused every recipient (RFC 2920 §3.1).
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING")
        .replying("RCPT", "550 5.1.1 no such user", "550 5.1.1 no such user"));
    DeliveryReport report = harness.deliver(Harness.request("secret content\r\n", "a@example.net",
        "b@example.net"));

    assertEquals(List.of(Status.BOUNCED, Status.BOUNCED),
        report.results().stream().map(RecipientResult::status).toList(), report.toString());
    assertEquals("550 5.1.1 no such user", report.results().get(0).reply().toString());
    // Only the terminating dot went: an empty content, not the message.
    assertEquals(1, server.messages().size());
    assertEquals(0, server.messages().get(0).length);
    // The session is still in step: the next message goes over it, after RSET.
    DeliveryReport next = harness.deliver(Harness.request("y\r\n", "c@example.net"));
    assertEquals(Status.SENT, next.results().get(0).status(), next.toString());
    assertEquals(1, server.connections());
    assertArrayEquals("y\r\n".getBytes(StandardCharsets.US_ASCII), server.messages().get(1));
  }

  @Test
  void aRefusedPipelinedDataDecidesTheAcceptedRecipients(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING")
        .replying("DATA", "554 5.3.0 no thanks"));
    RecipientResult r = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals(554, r.reply().code());
    assertEquals(List.of(), server.messages());
  }

  @Test
  void sendsTheRsetOfACachedSessionAtTheHeadOfThePipelinedGroup(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING"),
        "outbound.connection_idle_timeout=30s");
    harness.deliver(Harness.request("x\r\n", "a@example.net"));
    DeliveryReport second = harness.deliver(Harness.request("y\r\n", "b@example.net"));

    assertEquals(Status.SENT, second.results().get(0).status(), second.toString());
    assertEquals(1, server.connections());
    List<ScriptedSmtpServer.Command> c = server.commandDetails();
    int rset = indexOf(c, "RSET");
    // RSET, MAIL, RCPT and DATA in one TCP read: no round trip of its own for the RSET.
    assertEquals("MAIL FROM:<sender@example.org>", c.get(rset + 1).line(), c.toString());
    assertEquals(c.get(rset).read(), c.get(rset + 3).read(), c.toString());
  }

  @Test
  void aCachedSessionThatFailsItsPipelinedRsetGivesWayToANewConnection(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING")
        .replying("RSET", "421 4.4.2 idle too long"), "outbound.connection_idle_timeout=30s");
    harness.deliver(Harness.request("x\r\n", "a@example.net"));
    DeliveryReport second = harness.deliver(Harness.request("second\r\n", "b@example.net"));

    assertEquals(Status.SENT, second.results().get(0).status(), second.toString());
    assertEquals(2, server.connections());
    // The stale session was closed in its DATA, before any content: the message arrived once.
    assertEquals(2, server.messages().size());
    assertArrayEquals("second\r\n".getBytes(StandardCharsets.US_ASCII), server.messages().get(1));
  }

  @Test
  void waitsForEachReplyWithoutPipelining(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard());
    harness.deliver(Harness.request("x\r\n", "a@example.net", "b@example.net"));

    List<ScriptedSmtpServer.Command> c = server.commandDetails();
    int mail = indexOf(c, "MAIL FROM:");
    assertNotEquals(c.get(mail).read(), c.get(mail + 1).read(), c.toString());
  }

  @Test
  void pipelinedRefusalsStillDecideEachRecipient(Vertx vertx) throws Exception {
    start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING")
        .replying("RCPT", "550 5.1.1 no such user", "250 2.1.5 ok", "451 4.3.0 later"));
    DeliveryReport report = harness.deliver(Harness.request("x\r\n", "a@example.net", "b@example.net",
        "c@example.net"));

    assertEquals(List.of(Status.BOUNCED, Status.SENT, Status.DEFERRED),
        report.results().stream().map(RecipientResult::status).toList());
  }

  @Test
  void bouncesAMessageLargerThanTheServersSizeWithoutSendingIt(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("SIZE 100"));
    RecipientResult r = harness.deliver(Harness.request("x".repeat(200) + "\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals(552, r.reply().code());
    assertEquals("5.3.4", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void declaresTheSizeWhenTheServerOffersSize(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("SIZE 1000"));
    RecipientResult r = harness.deliver(Harness.request("x".repeat(10) + "\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertTrue(server.commands().contains("MAIL FROM:<sender@example.org> SIZE=12"), server.commands().toString());
  }

  @Test
  void bouncesEightBitContentToAServerWithout8bitmime(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().without8BitMime());
    Buffer body = Buffer.buffer("Subject: caf\u00e9\r\n\r\ncaf\u00e9\r\n".getBytes(StandardCharsets.UTF_8));
    RecipientResult r = harness.deliver(Harness.request(body, Map.of("BODY", "8BITMIME"), "a@example.net"))
        .results().get(0);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals("5.6.3", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void sendsSevenBitContentDeclared8bitmimeWithoutTheParameter(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().without8BitMime());
    RecipientResult r = harness.deliver(Harness.request(Buffer.buffer("plain\r\n"), Map.of("BODY", "8BITMIME"),
        "a@example.net")).results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertTrue(server.commands().contains("MAIL FROM:<sender@example.org>"), server.commands().toString());
  }

  @Test
  void bouncesANonAsciiAddressToAServerWithoutSmtputf8(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard());
    RecipientResult r = harness.deliver(Harness.request(Buffer.buffer("x\r\n"), Map.of("SMTPUTF8", ""),
        "j\u00f6ran@example.net")).results().get(0);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals("5.6.7", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void sendsWithBdatWhenChunkingIsOffered(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("CHUNKING"));
    byte[] body = "Subject: c\r\n\r\n.a leading dot stays single\r\n".getBytes(StandardCharsets.US_ASCII);
    RecipientResult r = harness.deliver(Harness.request(Buffer.buffer(body), Map.of(), "a@example.net"))
        .results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertTrue(server.commands().contains("BDAT " + body.length + " LAST"), server.commands().toString());
    assertTrue(server.commands().stream().noneMatch(c -> c.equals("DATA")), server.commands().toString());
    assertArrayEquals(body, server.messages().get(0));
  }

  @Test
  void aSmallStoredBodyIsAskedForInOneRead(Vertx vertx, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("PIPELINING"));
    byte[] body = ("Subject: s\r\n\r\n" + "a line of a stored body\r\n".repeat(8000)).getBytes(StandardCharsets.US_ASCII);
    // Over 64 KiB, under MailTransaction.WHOLE: one hand-off to a worker, not one per 64 KiB.
    PiecewiseBody stored = new PiecewiseBody(vertx, java.nio.file.Files.write(dir.resolve("body"), body), 1 << 20);
    org.postern.bus.DeliveryRequest req = new org.postern.bus.DeliveryRequest(org.postern.bus.QueueIds.next(),
        org.postern.smtp.Path.parseMailbox("sender@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("a@example.net")), Map.of(), stored, 1);
    RecipientResult r = harness.deliver(req).results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertArrayEquals(body, server.messages().get(0));
    assertEquals(1, stored.reads.get());
  }

  @Test
  void aStoredBodyGoesInPiecesUnderOneBdatWhoseSizeIsDeclaredFirst(Vertx vertx, @org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withExtensions("CHUNKING"));
    StringBuilder sb = new StringBuilder("Subject: c\r\n\r\n");
    for (int i = 0; sb.length() < 200_000; i++) {
      sb.append(".line ").append(i).append("\r\n");
    }
    sb.append("last line without its CRLF");
    byte[] body = sb.toString().getBytes(StandardCharsets.US_ASCII);
    PiecewiseBody stored = new PiecewiseBody(vertx, java.nio.file.Files.write(dir.resolve("body"), body), 777);
    org.postern.bus.DeliveryRequest req = new org.postern.bus.DeliveryRequest(org.postern.bus.QueueIds.next(),
        org.postern.smtp.Path.parseMailbox("sender@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("a@example.net")), Map.of(), stored, 1);
    RecipientResult r = harness.deliver(req).results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertTrue(server.commands().contains("BDAT " + (body.length + 2) + " LAST"), server.commands().toString());
    byte[] expected = java.util.Arrays.copyOf(body, body.length + 2);
    expected[body.length] = '\r';
    expected[body.length + 1] = '\n';
    assertArrayEquals(expected, server.messages().get(0));
    assertTrue(stored.reads.get() > 200, "read in pieces: " + stored.reads.get());
  }

  @Test
  void fallsBackToHeloWhenEhloIsNotKnown(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withoutEhlo());
    RecipientResult r = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(List.of("EHLO postern.test", "HELO postern.test", "MAIL FROM:<sender@example.org>"),
        server.commands().subList(0, 3));
  }

  @Test
  void defersOn4xxThenDeliversOnTheNextAttempt(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .replying("RCPT", "451 4.7.1 greylisted, try again later"));
    RecipientResult first = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);
    RecipientResult second = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.DEFERRED, first.status(), first.toString());
    assertEquals("4.7.1", first.reply().enhanced());
    assertEquals(Status.SENT, second.status(), second.toString());
    assertEquals(1, server.messages().size());
  }

  @Test
  void bouncesOn5xx(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .replying("END", "554 5.7.1 message refused"));
    RecipientResult r = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals(554, r.reply().code());
    assertEquals("message refused", r.reply().text());
    assertTrue(harness.logged("status=bounced (554 5.7.1 message refused)"), harness.logText());
    assertEquals(1, server.messages().size());
  }

  @Test
  void treatsAReplyOfTheWrongClassAsAProtocolError(Vertx vertx) throws Exception {
    start(vertx, ScriptedSmtpServer.Script.standard().replying("RCPT", "354 what?"));
    RecipientResult r = harness.deliver(Harness.request("x\r\n", "a@example.net")).results().get(0);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.5.0", r.reply().enhanced());
  }

  private ScriptedSmtpServer start(Vertx vertx, ScriptedSmtpServer.Script script, String... settings)
      throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port, script)
        .await(10, TimeUnit.SECONDS);
    List<String> all = new java.util.ArrayList<>(List.of("outbound.transport=*=[127.0.0.1]:" + port));
    all.addAll(List.of(settings));
    harness.deploy(all.toArray(String[]::new));
    return server;
  }

  private static int indexOf(List<ScriptedSmtpServer.Command> commands, String prefix) {
    for (int i = 0; i < commands.size(); i++) {
      if (commands.get(i).line().startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + prefix + " in " + commands);
  }
}
