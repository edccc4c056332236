package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AUTH (RFC 4954), BDAT (RFC 3030), DSN (RFC 3461), SMTPUTF8 (RFC 6531), the error limit and refusal after TLS. */
class ExtensionsSessionTest {

  static final SessionSettings AUTH = new SessionSettings("mx.example", 10_000, 100, true, false, true, 20);
  static final TlsFacts FACTS = new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, Verify.NOT, "", "", "", "");

  private SmtpSession s;

  /** One command; policy accepts every sender (these tests are about the extensions). */
  private List<Effect> c(String line) {
    List<Effect> effects = s.command(CommandParser.parse(line));
    return effects.size() == 1 && effects.get(0) instanceof Effect.CheckSender ? s.senderDecided(null) : effects;
  }

  private static Reply reply(List<Effect> effects) {
    return assertInstanceOf(Effect.Send.class, effects.get(0), effects::toString).reply();
  }

  private static void expect(List<Effect> effects, int code, String enhanced) {
    Reply r = reply(effects);
    assertEquals(code, r.code(), r::toString);
    if (enhanced != null) {
      assertEquals(enhanced, r.enhanced(), r::toString);
    }
  }

  private void greetedInTls(SessionSettings settings) {
    s = new SmtpSession(settings, false);
    s.greet();
    c("EHLO client.example");
    assertInstanceOf(Effect.StartTls.class, c("STARTTLS").get(0));
    s.tlsStarted(FACTS);
    c("EHLO client.example");
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void authIsOfferedAndAcceptedOnlyInsideTls() {
    s = new SmtpSession(AUTH, false);
    s.greet();
    Reply ehlo = reply(c("EHLO client.example"));
    assertTrue(!ehlo.lines().contains("AUTH PLAIN LOGIN"), "no AUTH in plaintext: " + ehlo.lines());
    expect(c("AUTH PLAIN " + b64("\0u\0p")), 538, "5.7.11");
    greetedInTls(AUTH);
    Reply inTls = reply(c("EHLO client.example"));
    assertTrue(inTls.lines().contains("AUTH PLAIN LOGIN"), inTls.lines().toString());
  }

  @Test
  void authPlainWithInitialResponse() {
    greetedInTls(AUTH);
    Effect.CheckCredentials check = assertInstanceOf(Effect.CheckCredentials.class,
        c("AUTH PLAIN " + b64("\0alice\0s3cret")).get(0));
    assertEquals(new Effect.CheckCredentials("PLAIN", "alice", "s3cret"), check);
    expect(s.credentialsChecked("alice", true), 235, "2.7.0");
    assertEquals("alice", s.authUser());
    assertEquals("ESMTPSA", s.protocol());
    expect(c("AUTH PLAIN " + b64("\0alice\0s3cret")), 503, "5.5.1");
  }

  @Test
  void authPlainWithChallengeAndLoginStepByStep() {
    greetedInTls(AUTH);
    expect(c("AUTH PLAIN"), 334, null);
    assertInstanceOf(Effect.CheckCredentials.class, s.authResponse(b64("alice\0alice\0pw")).get(0));
    expect(s.credentialsChecked("alice", false), 535, "5.7.8");
    assertEquals(null, s.authUser());

    Reply user = reply(c("AUTH LOGIN"));
    assertEquals(334, user.code());
    assertEquals("VXNlcm5hbWU6", user.text());
    assertEquals("UGFzc3dvcmQ6", reply(s.authResponse(b64("bob"))).text());
    assertEquals(new Effect.CheckCredentials("LOGIN", "bob", "pw2"), s.authResponse(b64("pw2")).get(0));
  }

  @Test
  void authAbortBadBase64ImpersonationAndUnknownMechanism() {
    greetedInTls(AUTH);
    c("AUTH LOGIN");
    expect(s.authResponse("*"), 501, "5.0.0");
    c("AUTH PLAIN");
    expect(s.authResponse("!!notbase64!!"), 501, "5.5.2");
    expect(c("AUTH PLAIN " + b64("mallory\0alice\0pw")), 535, "5.7.8");
    expect(c("AUTH CRAM-MD5"), 504, "5.5.4");
    expect(new SmtpSession(new SessionSettings("mx.example", 10_000, 100, true, false), true).command(
        CommandParser.parse("AUTH PLAIN x")), 503, "5.5.1");
  }

  @Test
  void bdatChunksAssembleTheMessageByteForByte() {
    greetedInTls(AUTH);
    c("MAIL FROM:<a@example.org>");
    c("RCPT TO:<b@example.net>");
    s.recipientDecided(Path.parseMailbox("b@example.net"), Reply.of(250, "2.1.5", "Ok"));
    assertEquals(new Effect.ReadChunk(6), c("BDAT 6").get(0));
    s.chunkData("Subj".getBytes(StandardCharsets.US_ASCII));
    s.chunkData("ec".getBytes(StandardCharsets.US_ASCII));
    expect(s.chunkEnd(), 250, "2.0.0");
    assertEquals(new Effect.ReadChunk(8), c("BDAT 8 LAST").get(0));
    s.chunkData("t: x\n\r\n".getBytes(StandardCharsets.US_ASCII));
    s.chunkData(new byte[] {'.'});
    Effect.Enqueue q = assertInstanceOf(Effect.Enqueue.class, s.chunkEnd().get(0));
    assertArrayEquals("Subject: x\n\r\n.".getBytes(StandardCharsets.US_ASCII), q.body(), "BDAT is binary: nothing is changed");
    expect(s.queued("Q1"), 250, "2.0.0");
  }

  @Test
  void bdatIsReadEvenWhenRefusedSoTheInputStaysFramed() {
    greetedInTls(AUTH);
    assertEquals(new Effect.ReadChunk(3), c("BDAT 3 LAST").get(0), "no MAIL yet, but the 3 octets must be read");
    s.chunkData(new byte[3]);
    expect(s.chunkEnd(), 503, "5.5.1");
    c("MAIL FROM:<a@example.org>");
    c("RCPT TO:<b@example.net>");
    s.recipientDecided(Path.parseMailbox("b@example.net"), Reply.of(250, "2.1.5", "Ok"));
    c("BDAT 9000");
    s.chunkData(new byte[9000]);
    expect(s.chunkEnd(), 250, "2.0.0");
    // Past the limit with this chunk: refused when announced; its octets are still read.
    List<Effect> over = c("BDAT 2000 LAST");
    expect(over, 552, "5.3.4");
    assertEquals(new Effect.ReadChunk(2000), over.get(1));
    s.chunkData(new byte[2000]);
    assertEquals(List.of(), s.chunkEnd());
    expect(c("DATA"), 503, "5.5.1");
  }

  @Test
  void dataAndBdatDoNotMix() {
    greetedInTls(AUTH);
    c("MAIL FROM:<a@example.org>");
    c("RCPT TO:<b@example.net>");
    s.recipientDecided(Path.parseMailbox("b@example.net"), Reply.of(250, "2.1.5", "Ok"));
    c("BDAT 1");
    s.chunkData(new byte[] {'x'});
    s.chunkEnd();
    expect(c("DATA"), 503, "5.5.1");
  }

  @Test
  void malformedBdatClosesTheSessionBecauseTheChunkCannotBeFramed() {
    greetedInTls(AUTH);
    List<Effect> e = c("BDAT lots");
    expect(e, 501, "5.5.4");
    assertInstanceOf(Effect.Close.class, e.get(e.size() - 1));
  }

  @Test
  void dsnParametersAreValidatedAndCarriedInTheEnvelope() {
    greetedInTls(AUTH);
    expect(c("MAIL FROM:<a@example.org> RET=PARTIAL"), 501, "5.5.4");
    expect(c("MAIL FROM:<a@example.org> ENVID=bad=value"), 501, "5.5.4");
    expect(c("MAIL FROM:<a@example.org> RET=hdrs ENVID=QQ+2B1"), 250, "2.1.0");
    expect(c("RCPT TO:<b@example.net> NOTIFY=NEVER,SUCCESS"), 501, "5.5.4");
    expect(c("RCPT TO:<b@example.net> NOTIFY=SUCCESS,SUCCESS"), 501, "5.5.4");
    expect(c("RCPT TO:<b@example.net> ORCPT=nosemicolon"), 501, "5.5.4");
    c("RCPT TO:<b@example.net> NOTIFY=success,failure ORCPT=rfc822;b+2Bx@example.net");
    s.recipientDecided(Path.parseMailbox("b@example.net"), Reply.of(250, "2.1.5", "Ok"));
    c("RCPT TO:<c@example.net>");
    s.recipientDecided(Path.parseMailbox("c@example.net"), Reply.of(250, "2.1.5", "Ok"));
    c("DATA");
    DataReader r = new DataReader(10_000);
    r.line("x".getBytes(StandardCharsets.US_ASCII));
    r.line(".".getBytes(StandardCharsets.US_ASCII));
    Envelope env = assertInstanceOf(Effect.Enqueue.class, s.messageRead(r).get(0)).envelope();
    assertEquals(Map.of("RET", "HDRS", "ENVID", "QQ+2B1"), env.mailParams());
    assertEquals(List.of(Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;b+2Bx@example.net"), Map.of()),
        env.rcptParams());
  }

  @Test
  void unicodeAddressesNeedSmtpUtf8() {
    greetedInTls(AUTH);
    expect(c("MAIL FROM:<j\u00f6rg@example.org>"), 553, "5.6.7");
    expect(c("MAIL FROM:<a@example.org>"), 250, "2.1.0");
    expect(c("RCPT TO:<\u00fcser@b\u00fccher.example>"), 553, "5.6.7");
    c("RSET");
    expect(c("MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8"), 250, "2.1.0");
    Effect.CheckRecipient check = assertInstanceOf(Effect.CheckRecipient.class,
        c("RCPT TO:<\u00fcser@b\u00fccher.example>").get(0));
    assertEquals("b\u00fccher.example", check.recipient().domain());
    assertEquals("UTF8ESMTPS", s.protocol());
  }

  @Test
  void theErrorLimitEndsTheSessionWith421() {
    s = new SmtpSession(new SessionSettings("mx.example", 10_000, 100, true, false, false, 3), false);
    s.greet();
    expect(c("FOO"), 500, "5.5.1");
    expect(c("BAR"), 500, "5.5.1");
    List<Effect> third = c("BAZ");
    assertEquals(List.of(new Effect.Send(SmtpSession.UNKNOWN),
        new Effect.Send(Reply.of(421, "4.7.0", "mx.example Error: too many errors")), new Effect.Close()), third);
    assertEquals(SmtpSession.State.CLOSED, s.state());
  }

  @Test
  void aRefusalAfterTlsAnswersEverythingButQuit() {
    s = new SmtpSession(AUTH, false);
    s.greet();
    c("EHLO client.example");
    c("STARTTLS");
    Reply weak = Reply.of(403, "4.7.0", "encryption too weak 128 less than 256");
    s.tlsStarted(FACTS, weak);
    assertEquals(weak, reply(c("EHLO client.example")));
    assertEquals(weak, reply(c("MAIL FROM:<a@example.org>")));
    assertEquals(new Effect.ReadChunk(4), c("BDAT 4").get(0), "a refused BDAT is still read");
    s.chunkData(new byte[4]);
    assertEquals(weak, reply(s.chunkEnd()));
    expect(c("QUIT"), 221, "2.0.0");
  }
}
