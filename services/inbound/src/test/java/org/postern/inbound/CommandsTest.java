package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Command replies on the wire: recipients, malformed commands, and the parameters that are carried. */
class CommandsTest {

  @TempDir
  Path dir;

  // ---- recipients ----

  @Test
  void hundredRecipientsAreAcceptedByDefault() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      StringBuilder cmds = new StringBuilder("MAIL FROM:<a@example.org>\r\n");
      for (int i = 1; i <= 100; i++) {
        cmds.append("RCPT TO:<r").append(i).append("@example.net>\r\n");
      }
      c.send(cmds + "DATA\r\n");
      c.expect("250 2.1.0");
      for (int i = 1; i <= 100; i++) {
        assertEquals("250 2.1.5 Ok", c.readReply().text(), "recipient " + i);
      }
      c.expect(354);
      c.send("Subject: many\r\n\r\nhi\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertEquals(100, f.onlySpooled().envelope().getJsonArray("recipients").size());
    }
  }

  @Test
  void recipientOverLimitGets452() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_recipients=100").start();
        SmtpClient c = f.greeted()) {
      StringBuilder cmds = new StringBuilder("MAIL FROM:<a@example.org>\r\n");
      for (int i = 1; i <= 101; i++) {
        cmds.append("RCPT TO:<r").append(i).append("@example.net>\r\n");
      }
      c.send(cmds.toString());
      c.expect("250 2.1.0");
      for (int i = 1; i <= 100; i++) {
        assertEquals("250 2.1.5 Ok", c.readReply().text(), "recipient " + i);
      }
      assertEquals("452 4.5.3 Error: too many recipients", c.readReply().text());
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: limit\r\n\r\nhi\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertEquals(100, f.onlySpooled().envelope().getJsonArray("recipients").size());
    }
  }

  // ---- bad commands ----

  @Test
  void unknownCommand() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("500 5.5.1 Error: command not recognized", c.command("XYZZY").text());
    }
  }

  @Test
  void badSequence() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.connect()) {
      c.expect(220);
      assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.command("MAIL FROM:<a@b.example>").text());
      c.command("EHLO client.test");
      assertEquals("503 5.5.1 Error: need MAIL command", c.command("DATA").text());
      assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<c@d.example>").text());
      c.command("MAIL FROM:<a@b.example>");
      assertEquals("503 5.5.1 Error: need RCPT command", c.command("DATA").text());
      assertEquals("503 5.5.1 Error: nested MAIL command", c.command("MAIL FROM:<a@b.example>").text());
    }
  }

  @Test
  void senderSyntax() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:garbage").text());
      assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:<no at sign>").text());
      c.command("MAIL FROM:<a@b.example>");
      assertEquals("501 5.1.3 Bad recipient address syntax", c.command("RCPT TO:garbage").text());
    }
  }

  @Test
  void nulByteInCommand() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("NO\0OP\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("500 5.5.2 Error: invalid characters in command", c.readReply().text());
      c.send("MAIL FROM:<a@b.example>\0\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("500 5.5.2 Error: invalid characters in command", c.readReply().text());
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@b.example>").text(), "the NUL MAIL was not taken");
    }
  }

  @Test
  void nonAsciiOutsideAnAddress() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("500 5.5.2 Error: invalid characters in command", c.command("HELP \u00fcber").text());
      assertEquals("500 5.5.2 Error: invalid characters in command",
          c.command("MAIL FROM:<a@b.example> ENVID=\u00e9").text());
      // Bytes that are not UTF-8 at all.
      c.send(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xff, (byte) 0xfe, '\r', '\n'});
      assertEquals("500 5.5.2 Error: invalid characters in command", c.readReply().text());
      // Inside an address without SMTPUTF8 it is the transaction's refusal, not a syntax error.
      assertEquals("553 5.6.7 Must declare SMTPUTF8 to send unicode address",
          c.command("MAIL FROM:<j\u00f6rg@example.org>").text());
    }
  }

  // ---- DSN and SMTPUTF8 parameters are carried to the queue ----

  @Test
  void dsnAndSmtputf8ParametersAreStoredWithTheEnvelope() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8 RET=HDRS ENVID=x1").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<b@example.net> NOTIFY=SUCCESS ORCPT=rfc822;b@example.net").text());
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: gr\u00fc\u00dfe\r\n\r\nh\u00e9\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      InboundFixture.Spooled m = f.onlySpooled();
      JsonObject env = m.envelope();
      assertEquals("j\u00f6rg@example.org", env.getString("sender"), env.encode());
      JsonObject mail = env.getJsonObject("mailParams");
      assertEquals("", mail.getString("SMTPUTF8"), env.encode());
      assertEquals("HDRS", mail.getString("RET"), env.encode());
      assertEquals("x1", mail.getString("ENVID"), env.encode());
      JsonArray rcpt = env.getJsonArray("rcptParams");
      assertEquals(1, rcpt.size(), env.encode());
      assertEquals("SUCCESS", rcpt.getJsonObject(0).getString("NOTIFY"), env.encode());
      assertEquals("rfc822;b@example.net", rcpt.getJsonObject(0).getString("ORCPT"), env.encode());
      assertEquals("b@example.net", env.getJsonArray("recipients").getString(0));
      assertTrue(m.bodyText().contains("with UTF8ESMTP id "), m.bodyText());
      assertTrue(m.bodyText().endsWith("Subject: gr\u00fc\u00dfe\r\n\r\nh\u00e9\r\n"), m.bodyText());
    }
  }
}
