package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.RelayCheck;

/**
 * Without an answer from policy within policy.timeout, the client gets a temporary failure, never
 * service: at connect, and when policy answered the connect but never a later question (at MAIL,
 * at RCPT, after STARTTLS).
 */
class PolicyDeadlineTest {

  @TempDir
  Path dir;

  private InboundFixture unansweredAt(String address) throws Exception {
    return InboundFixture.in(dir).set("policy.timeout=1s").policyNeverAnswers(address).start();
  }

  @Test
  void noPolicyAtConnectIs421AndTheConnectionCloses() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("policy.timeout=1s").withoutPolicy().start();
        SmtpClient c = f.connect()) {
      c.expect("421 4.3.0 " + InboundFixture.HOSTNAME + " Service temporarily unavailable");
      f.awaitLog("policy unavailable at connect from unknown[127.0.0.1]");
    }
  }

  @Test
  void noAnswerAtMailIs451AndNoTransactionStarts() throws Exception {
    try (InboundFixture f = unansweredAt(MailCheck.ADDRESS); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("451 4.3.0 <a@example.org>: Temporary lookup failure");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect("503 5.5.1 Error: need MAIL command");
      c.send("DATA\r\n");
      c.expect("503 5.5.1 Error: need MAIL command");
      f.awaitLog("policy unavailable for MAIL from unknown[127.0.0.1]");
      assertEquals(0, f.spool().size(), "nothing is accepted");
    }
  }

  @Test
  void noAnswerAtRcptIs451AndTheRecipientIsNotAccepted() throws Exception {
    try (InboundFixture f = unansweredAt(RelayCheck.ADDRESS); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("250 2.1.0 Ok");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect("451 4.3.0 <b@example.net>: Temporary lookup failure");
      c.send("DATA\r\n");
      c.expect("503 5.5.1 Error: need RCPT command");
      f.awaitLog("policy unavailable for RCPT from unknown[127.0.0.1]");
      assertEquals(0, f.spool().size(), "nothing is accepted");
    }
  }

  @Test
  void noAnswerAfterStartTlsIs451ForEveryCommandButQuit() throws Exception {
    try (InboundFixture f = unansweredAt(ClientTlsCheck.ADDRESS); SmtpClient c = f.greeted()) {
      c.send("STARTTLS\r\n");
      c.expect(220);
      c.startTls();
      c.send("EHLO client.test\r\n");
      c.expect("451 4.3.0 Temporary policy failure");
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("451 4.3.0 Temporary policy failure");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect("451 4.3.0 Temporary policy failure");
      c.send("QUIT\r\n");
      c.expect(221);
      f.awaitLog("policy unavailable after STARTTLS from unknown[127.0.0.1]");
      assertEquals(0, f.spool().size(), "nothing is accepted");
    }
  }
}
