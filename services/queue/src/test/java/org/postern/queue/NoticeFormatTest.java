package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.testkit.Peers;

/**
 * Notices as a MIME library reads them: each one is parsed by Python's {@code email} package, and
 * the structure and fields RFC 3464 requires are checked on what it found.
 */
class NoticeFormatTest {

  static final ZonedDateTime ARRIVAL = ZonedDateTime.parse("2026-11-24T03:00:00Z");
  static final byte[] ORIGINAL = ("From: a@example.org\r\nTo: b@example.net\r\nSubject: original\r\n"
      + "Message-ID: <orig@example.org>\r\n\r\nthe body\r\n").getBytes(StandardCharsets.US_ASCII);

  static final String PARSER = String.join("\n",
      "import email, json, sys",
      "from email import policy",
      "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.compat32)",
      "parts = m.get_payload()",
      "status = parts[1].get_payload()",
      "out = {'type': m.get_content_type(), 'report_type': m.get_param('report-type'),",
      "       'subject': m['Subject'], 'to': m['To'], 'auto': m['Auto-Submitted'],",
      "       'parts': [p.get_content_type() for p in parts],",
      "       'per_message': dict(status[0].items()),",
      "       'per_recipient': [dict(b.items()) for b in status[1:]],",
      "       'returned': parts[2].get_payload(0)['Subject'] if parts[2].get_content_type() == 'message/rfc822'",
      "                   else parts[2].get_payload()}",
      "print(json.dumps(out))");

  static JsonObject parse(byte[] notice) throws Exception {
    Process p = new ProcessBuilder(Peers.python(), "-c", PARSER).start();
    p.getOutputStream().write(notice);
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "Python's email package could not read the notice: " + err);
    return new JsonObject(out);
  }

  static Bounce.Report report(Bounce.Kind kind, Map<String, String> mailParams) {
    Bounce.Failure one = new Bounce.Failure(Path.parseMailbox("b@example.net"),
        Reply.of(550, "5.1.1", "<b@example.net>: no such user"), "mx.example.net[192.0.2.25]:25",
        Map.of("NOTIFY", "FAILURE,DELAY,SUCCESS", "ORCPT", "rfc822;B+2Bx@example.net"));
    Bounce.Failure two = new Bounce.Failure(Path.parseMailbox("c@example.net"),
        Reply.of(451, "4.4.1", "connection timed out"), "none");
    return new Bounce.Report(kind, "mx.postern.test", "0123456789ABCDEF", Path.parseMailbox("a@example.org"),
        ARRIVAL, ARRIVAL.plusDays(5), List.of(one, two), mailParams, ORIGINAL, 50_000);
  }

  @Test
  void failureNoticeIsAMultipartReportWithTheFullMessage() throws Exception {
    JsonObject r = parse(Bounce.build(report(Bounce.Kind.FAILED, Map.of("ENVID", "QQ+2B1")), ARRIVAL, "NOTICE1"));
    assertEquals("multipart/report", r.getString("type"));
    assertEquals("delivery-status", r.getString("report_type"));
    assertEquals("a@example.org", r.getString("to"));
    assertEquals("auto-replied", r.getString("auto"));
    assertEquals(new JsonArray(List.of("text/plain", "message/delivery-status", "message/rfc822")), r.getJsonArray("parts"));
    JsonObject msg = r.getJsonObject("per_message");
    assertEquals("dns; mx.postern.test", msg.getString("Reporting-MTA"));
    assertEquals("QQ+1", msg.getString("Original-Envelope-Id"), "ENVID is echoed, xtext-decoded");
    JsonArray rcpts = r.getJsonArray("per_recipient");
    assertEquals(2, rcpts.size());
    JsonObject b = rcpts.getJsonObject(0);
    assertEquals("rfc822; b@example.net", b.getString("Final-Recipient"));
    assertEquals("rfc822;B+x@example.net", b.getString("Original-Recipient"));
    assertEquals("failed", b.getString("Action"));
    assertEquals("5.1.1", b.getString("Status"));
    assertEquals("dns; mx.example.net[192.0.2.25]:25", b.getString("Remote-MTA"));
    assertEquals("smtp; 550 5.1.1 <b@example.net>: no such user", b.getString("Diagnostic-Code"));
    assertEquals("5.4.1", rcpts.getJsonObject(1).getString("Status"), "an expired 4.x.x recipient fails as 5.x.x");
    assertEquals("original", r.getString("returned"), "RET unset returns the whole message");
  }

  @Test
  void retHdrsReturnsOnlyTheHeaders() throws Exception {
    JsonObject r = parse(Bounce.build(report(Bounce.Kind.FAILED, Map.of("RET", "HDRS")), ARRIVAL, "NOTICE2"));
    assertEquals("text/rfc822-headers", r.getJsonArray("parts").getString(2));
    assertTrue(r.getString("returned").contains("Subject: original"));
    assertTrue(!r.getString("returned").contains("the body"));
  }

  @Test
  void aMessageOverTheLimitReturnsItsHeaders() throws Exception {
    Bounce.Report big = report(Bounce.Kind.FAILED, Map.of());
    big = new Bounce.Report(big.kind(), big.hostname(), big.queueId(), big.sender(), big.arrival(), big.willRetryUntil(),
        big.recipients(), big.mailParams(), big.original(), 10);
    assertEquals("text/rfc822-headers", parse(Bounce.build(big, ARRIVAL, "N3")).getJsonArray("parts").getString(2));
  }

  @Test
  void delayAndRelayedNotices() throws Exception {
    JsonObject delayed = parse(Bounce.build(report(Bounce.Kind.DELAYED, Map.of()), ARRIVAL, "N4"));
    assertEquals("Delayed Mail (still being retried)", delayed.getString("subject"));
    JsonObject c = delayed.getJsonArray("per_recipient").getJsonObject(1);
    assertEquals("delayed", c.getString("Action"));
    assertEquals("4.4.1", c.getString("Status"));
    assertEquals("Sun, 29 Nov 2026 03:00:00 +0000", c.getString("Will-Retry-Until"));
    assertEquals("text/rfc822-headers", delayed.getJsonArray("parts").getString(2), "no content with a delay notice");

    JsonObject relayed = parse(Bounce.build(report(Bounce.Kind.RELAYED, Map.of()), ARRIVAL, "N5"));
    assertEquals("Successful Mail Delivery Report", relayed.getString("subject"));
    assertEquals("relayed", relayed.getJsonArray("per_recipient").getJsonObject(0).getString("Action"));
    assertEquals("2.1.1", relayed.getJsonArray("per_recipient").getJsonObject(0).getString("Status"));
  }
}
