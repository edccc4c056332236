package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Refusals given as early as they can be: a BDAT chunk that could never fit is refused when it is
 * announced, and a client whose TLS cannot be accepted at all is told why once and the session
 * ends.
 */
class EarlyRefusalSessionTest {

  static final SessionSettings SETTINGS = new SessionSettings("mx.example", 2_048, 100, true, false, false, 20);
  static final TlsFacts NO_CERT = new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, Verify.NO, "", "", "", "");

  private SmtpSession s;

  private List<Effect> c(String line) {
    List<Effect> effects = s.command(CommandParser.parse(line));
    if (effects.size() == 1 && effects.get(0) instanceof Effect.CheckSender) {
      return s.senderDecided(null);
    }
    if (effects.size() == 1 && effects.get(0) instanceof Effect.CheckRecipient r) {
      return s.recipientDecided(r.recipient(), Reply.of(250, "2.1.5", "Ok"));
    }
    return effects;
  }

  private void inTransaction() {
    s = new SmtpSession(SETTINGS, false);
    s.greet();
    c("EHLO client.example");
    c("MAIL FROM:<a@example.org>");
    c("RCPT TO:<b@example.net>");
  }

  private static String sent(Effect e) {
    return assertInstanceOf(Effect.Send.class, e).reply().toString();
  }

  @Test
  void aChunkLargerThanTheLimitIsRefusedWhenAnnouncedAndItsOctetsDroppedSilently() {
    inTransaction();
    List<Effect> e = c("BDAT 1000000 LAST");
    assertEquals(2, e.size(), e::toString);
    assertEquals("552 5.3.4 Error: message file too big", sent(e.get(0)));
    assertEquals(new Effect.ReadChunk(1_000_000), e.get(1), "the chunk is still read, to keep the input framed");
    s.chunkData(new byte[500_000]);
    s.chunkData(new byte[500_000]);
    assertEquals(List.of(), s.chunkEnd(), "one reply per BDAT: it was given");
    assertEquals(SmtpSession.State.GREETED, s.state(), "the transaction is over");
    assertEquals(new Effect.ReadChunk(0), c("BDAT 0 LAST").get(0));
    assertEquals("503 5.5.1 Error: need MAIL command", sent(s.chunkEnd().get(0)));
  }

  @Test
  void theRunningTotalCountsToo() {
    inTransaction();
    assertEquals(new Effect.ReadChunk(2_000), c("BDAT 2000").get(0));
    s.chunkData(new byte[2_000]);
    assertEquals("250 2.0.0 Ok: 2000 octets received", sent(s.chunkEnd().get(0)));
    assertEquals(new Effect.ReadChunk(48), c("BDAT 48").get(0), "exactly the limit still fits");
    s.chunkData(new byte[48]);
    s.chunkEnd();
    List<Effect> e = c("BDAT 1 LAST");
    assertEquals("552 5.3.4 Error: message file too big", sent(e.get(0)));
  }

  @Test
  void aClosingRefusalAfterTheHandshakeAnswersTheNextCommandAndEnds() {
    s = new SmtpSession(SETTINGS, false);
    s.greet();
    c("EHLO client.example");
    assertInstanceOf(Effect.StartTls.class, c("STARTTLS").get(0));
    Reply why = Reply.of(421, "4.7.1", "mx.example Error: client certificate required");
    assertEquals(List.of(), s.tlsStartedButClosing(NO_CERT, why));
    List<Effect> e = c("EHLO client.example");
    assertEquals(List.of(new Effect.Send(why), new Effect.Close()), e);
    assertEquals(SmtpSession.State.CLOSED, s.state());
  }
}
