package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.postern.smtp.Reply;

/** Postfix's disconnect counts: per verb succeeded/sent, intermediate replies leave a command open. */
class CommandCountsTest {

  @Test
  void countsAsPostfixDoes() {
    CommandCounts c = new CommandCounts();
    c.replied(Reply.of(220, null, "greeting")); // no command yet: not counted
    c.sent("EHLO");
    c.replied(Reply.of(250, null, "ok"));
    c.sent("STARTTLS");
    c.replied(Reply.of(220, "2.0.0", "Ready"));
    c.sent("EHLO");
    c.replied(Reply.of(250, null, "ok"));
    c.sent("MAIL");
    c.replied(Reply.of(250, "2.1.0", "Ok"));
    c.sent("RCPT");
    c.replied(Reply.of(554, "5.7.1", "Relay access denied"));
    c.sent("DATA");
    c.replied(Reply.of(354, null, "go"));
    c.replied(Reply.of(250, "2.0.0", "queued"));
    c.sent("unknown");
    c.replied(Reply.of(502, "5.5.2", "no"));
    c.sent("QUIT");
    c.replied(Reply.of(221, "2.0.0", "Bye"));
    assertEquals("ehlo=2 starttls=1 mail=1 rcpt=0/1 data=1 unknown=0/1 quit=1 commands=6/8", c.summary());
  }

  @Test
  void aSessionWithoutCommands() {
    assertEquals("commands=0", new CommandCounts().summary());
  }
}
