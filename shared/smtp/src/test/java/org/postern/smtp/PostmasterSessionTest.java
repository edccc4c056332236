package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 5321 §4.5.1: every SMTP server that relays must accept mail for its postmaster, with or
 * without our domain, whatever the relay rules say. It becomes a recipient of the configured
 * address; no policy question is asked.
 */
class PostmasterSessionTest {

  static final Path ADMIN = Path.parseMailbox("hostmaster@example.net");
  static final SessionSettings SETTINGS = new SessionSettings("mx.example.net", 10_000, 100, false, false, false, 20,
      ADMIN);

  private SmtpSession inTransaction() {
    SmtpSession s = new SmtpSession(SETTINGS, false);
    s.greet();
    s.command(CommandParser.parse("EHLO client.example"));
    s.command(CommandParser.parse("MAIL FROM:<a@example.org>"));
    s.senderDecided(null);
    return s;
  }

  private static Reply only(List<Effect> effects) {
    assertEquals(1, effects.size(), effects::toString);
    return assertInstanceOf(Effect.Send.class, effects.get(0), effects::toString).reply();
  }

  @Test
  void barePostmasterAndPostmasterAtOurNameGoToTheConfiguredAddress() {
    for (String rcpt : List.of("<Postmaster>", "<postmaster>", "<POSTMASTER@MX.EXAMPLE.NET>", "<postmaster@mx.example.net>")) {
      SmtpSession s = inTransaction();
      assertEquals("250 2.1.5 Ok", only(s.command(CommandParser.parse("RCPT TO:" + rcpt))).toString(), rcpt);
      s.command(CommandParser.parse("DATA"));
      DataReader d = new DataReader(10_000);
      d.line("Subject: hi".getBytes());
      d.line(".".getBytes());
      Effect.Enqueue q = assertInstanceOf(Effect.Enqueue.class, s.messageRead(d).get(0));
      assertEquals(List.of(ADMIN), q.envelope().recipients(), rcpt);
    }
  }

  @Test
  void postmasterElsewhereIsAnOrdinaryRecipient() {
    SmtpSession s = inTransaction();
    List<Effect> e = s.command(CommandParser.parse("RCPT TO:<postmaster@example.org>"));
    assertEquals(new Effect.CheckRecipient(Path.parseMailbox("a@example.org"), Path.parseMailbox("postmaster@example.org")),
        e.get(0));
  }

  @Test
  void theDefaultIsPostmasterAtOurName() {
    SmtpSession s = new SmtpSession(new SessionSettings("mx.example", 10_000, 100, false, false), false);
    s.greet();
    s.command(CommandParser.parse("HELO client.example"));
    s.command(CommandParser.parse("MAIL FROM:<>"));
    s.senderDecided(null);
    assertEquals(250, only(s.command(CommandParser.parse("RCPT TO:<Postmaster>"))).code());
    assertEquals(new Effect.ReadData(10_000), s.command(CommandParser.parse("DATA")).get(1));
  }
}
