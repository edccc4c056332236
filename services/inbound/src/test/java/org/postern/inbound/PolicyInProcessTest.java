package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.SessionCheck;

/**
 * Where a session's policy questions go: to the node's own policy in process when the node runs
 * the policy role, over the bus when it does not (a cluster member whose policy runs elsewhere),
 * with the same answers either way.
 */
class PolicyInProcessTest {

  @TempDir
  Path dir;

  @Test
  void withThePolicyRoleOnTheNodeNoQuestionCrossesTheBus() throws Exception {
    try (InboundFixture f = fixture(InboundFixture.in(dir))) {
      dialogue(f);
      for (String address : new String[] {SessionCheck.ADDRESS, ClientTlsCheck.ADDRESS, MailCheck.ADDRESS,
          RelayCheck.ADDRESS}) {
        assertEquals(0, f.sentOnBus(address), address);
      }
    }
  }

  @Test
  void withoutItTheSameQuestionsGoOverTheBusWithTheSameAnswers() throws Exception {
    try (InboundFixture f = fixture(InboundFixture.in(dir).policyOverBus())) {
      dialogue(f);
      assertEquals(1, f.sentOnBus(SessionCheck.ADDRESS));
      assertEquals(1, f.sentOnBus(ClientTlsCheck.ADDRESS));
      assertEquals(2, f.sentOnBus(MailCheck.ADDRESS));
      assertEquals(2, f.sentOnBus(RelayCheck.ADDRESS));
    }
  }

  @Test
  void aStoppedPolicyAnswersNoMoreInProcess() throws Exception {
    try (InboundFixture f = fixture(InboundFixture.in(dir))) {
      f.undeployPolicy();
      try (SmtpClient c = f.connect()) {
        c.expect("421 4.3.0 " + InboundFixture.HOSTNAME + " Service temporarily unavailable");
      }
      f.awaitLog("policy unavailable at connect from");
    }
  }

  private InboundFixture fixture(InboundFixture.Builder b) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "From:spammer.example REJECT\nTo:closed.example REJECT\n");
    return b.set("policy.access_map=" + access).start();
  }

  /** A session that asks every question: connect, STARTTLS, MAIL (refused, then accepted), RCPT (refused, accepted). */
  private static void dialogue(InboundFixture f) throws Exception {
    try (SmtpClient c = f.greeted()) {
      c.send("STARTTLS\r\n");
      c.expect("220 2.0.0");
      c.startTls();
      c.send("EHLO inside.test\r\n");
      c.expect(250);
      c.send("MAIL FROM:<x@mx.spammer.example>\r\n");
      c.expect("550 5.7.1 <x@mx.spammer.example>... Access denied");
      f.awaitLog("access:1 From:spammer.example REJECT");
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("250 2.1.0 Ok");
      c.send("RCPT TO:<b@closed.example>\r\n");
      c.expect(550);
      f.awaitLog("access:2 To:closed.example REJECT");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect(250);
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: in process\r\n\r\nhi\r\n.\r\n");
      c.expect(250);
    }
    assertEquals(1, f.spool().size());
  }
}
