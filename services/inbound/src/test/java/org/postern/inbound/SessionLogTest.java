package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * The lines of one inbound session, as an operator greps them: every one carries the session's
 * id (connect, reject, the client line, disconnect), the client line and cleanup's message-id line
 * carry the queue id, the disconnect line counts the commands as Postfix's does, and nothing is
 * logged twice (a refused MAIL, a listener served by two event loops).
 */
class SessionLogTest {

  @TempDir
  Path dir;

  @Test
  void oneSessionFromConnectToDisconnectByItsId() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "From:spammer.example REJECT\n");
    try (InboundFixture f = InboundFixture.in(dir).set("policy.access_map=" + access).start();
        SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<x@spammer.example>\r\n");
      c.expect("550 5.7.1");
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect(250);
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect(250);
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: ids\r\nMessage-ID:\r\n <ids-1@example.org>\r\n\r\nhi\r\n.\r\n");
      String queued = c.expect(250).text();
      c.send("QUIT\r\n");
      c.expect(221);

      String connect = f.awaitLog(": connect from unknown[127.0.0.1]");
      Matcher m = Pattern.compile("^([0-9A-F]{16}): connect from unknown\\[127\\.0\\.0\\.1\\]$").matcher(connect);
      assertTrue(m.matches(), connect);
      String session = m.group(1);

      String disconnect = f.awaitLog(": disconnect from ");
      assertEquals(session + ": disconnect from unknown[127.0.0.1] ehlo=1 mail=1/2 rcpt=1 data=1 quit=1 commands=5/6",
          disconnect);

      List<String> rejects = f.logLines("reject: MAIL from");
      assertEquals(1, rejects.size(), "one line per refused MAIL: " + rejects);
      assertTrue(rejects.get(0).matches(session + ": reject: MAIL from unknown\\[127\\.0\\.0\\.1\\]: 550 5\\.7\\.1 .*"
          + "; from=<x@spammer\\.example> proto=ESMTP helo=<client\\.test> rule=\\S+:1 From:spammer\\.example REJECT"),
          rejects.get(0));

      String queueId = queued.replaceAll(".*queued as ([0-9A-F]{16}).*", "$1");
      String client = f.awaitLog(queueId + ": client=");
      assertTrue(client.startsWith(queueId + ": client=unknown[127.0.0.1], session=" + session
          + ", helo=<client.test>, from=<a@example.org>, nrcpt=1, size="), client);
      assertEquals(queueId + ": message-id=<ids-1@example.org>", f.awaitLog(queueId + ": message-id="));
    }
  }

  @Test
  void aListenerOnTwoEventLoopsIsAnnouncedOnce() throws Exception {
    int port = FreePorts.loopback();
    try (InboundFixture f = InboundFixture.in(dir).instances(2).set("inbound.listeners=127.0.0.1:" + port + " may")
        .start()) {
      try (SmtpClient c = f.greeted()) {
        c.command("QUIT");
      }
      f.awaitLog(": disconnect from ");
      assertEquals(1, f.logLines("listening on 127.0.0.1:" + port).size(), String.valueOf(f.logLines("listening")));
    }
  }
}
