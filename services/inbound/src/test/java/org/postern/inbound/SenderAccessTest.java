package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sendmail's From: entries, asked at MAIL over the event bus: a refused sender starts no transaction. */
class SenderAccessTest {

  @TempDir
  Path dir;

  @Test
  void aRejectedSenderGetsSendmailsReplyAndAnotherSenderMayFollow() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "From:spammer.example REJECT\nFrom:friend@spammer.example OK\n");
    try (InboundFixture f = InboundFixture.in(dir).set("policy.access_map=" + access).start();
        SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<x@mx.spammer.example>\r\n");
      c.expect("550 5.7.1 <x@mx.spammer.example>... Access denied");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect("503 5.5.1 Error: need MAIL command");
      f.awaitLog("access:1 From:spammer.example REJECT");
      c.send("MAIL FROM:<friend@spammer.example>\r\n");
      c.expect("250 2.1.0 Ok");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect(250);
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: friend\r\n\r\nhi\r\n.\r\n");
      c.expect(250);
      assertEquals(1, f.spool().size());
    }
  }
}
