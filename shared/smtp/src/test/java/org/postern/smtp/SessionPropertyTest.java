package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Random dialogues, with the test playing a well-behaved adapter (policy, data, queue, TLS). The
 * session must never throw and every reply must be one a client can parse. A failure prints the
 * whole dialogue, which a fixed seed reproduces.
 */
class SessionPropertyTest {

  static final long SEED = 20_261_124L;
  static final int SESSIONS = 1_500;
  static final int COMMANDS_PER_SESSION = 40;

  static final Reply ACCEPT = Reply.of(250, "2.1.5", "Ok");
  static final Reply DENY = Reply.of(554, "5.7.1", "Relay access denied");
  static final Reply QUEUE_DOWN = Reply.of(451, "4.3.0", "Queue unavailable");

  private static final Pattern WIRE = Pattern.compile("(\\d{3}-[^\r\n]*\r\n)*\\d{3} [^\r\n]*\r\n");
  private static final Set<SmtpSession.State> IDLE = Set.of(
      SmtpSession.State.CONNECTED, SmtpSession.State.GREETED, SmtpSession.State.MAIL, SmtpSession.State.CLOSED);

  private final RandomLines lines = new RandomLines(SEED);
  private final Random random = lines.random();
  private int queuedMessages;
  private int handshakes;
  private int transactionCommandsRefusedForTls;

  @Test
  void randomDialoguesKeepTheSessionSound() {
    for (int s = 0; s < SESSIONS; s++) {
      // A huge error limit: random dialogues are mostly errors, and the limit is tested elsewhere.
      SessionSettings settings = new SessionSettings(
          "mx.example", 1 + random.nextInt(4000), 1 + random.nextInt(3), random.nextInt(4) > 0, random.nextBoolean(),
          false, Integer.MAX_VALUE);
      new Run(settings, random.nextInt(6) == 0).play();
    }
    // Guards against a generator that never gets past the greeting.
    assertTrue(queuedMessages > 100, () -> "only " + queuedMessages + " messages queued");
    assertTrue(handshakes > 100, () -> "only " + handshakes + " TLS handshakes");
    assertTrue(transactionCommandsRefusedForTls > 100, () -> "only " + transactionCommandsRefusedForTls + " TLS refusals");
  }

  private final class Run {
    final SessionSettings settings;
    final SmtpSession session;
    final List<String> transcript = new ArrayList<>();

    Run(SessionSettings settings, boolean implicitTls) {
      this.settings = settings;
      this.session = new SmtpSession(settings, implicitTls);
      transcript.add(settings + " implicitTls=" + implicitTls);
    }

    void play() {
      try {
        settle(session.greet(), null, false);
        for (int i = 0; i < COMMANDS_PER_SESSION && session.state() != SmtpSession.State.CLOSED; i++) {
          int dice = random.nextInt(10);
          String line = dice < 5 ? plausibleNext() : dice < 8 ? lines.valid() : lines.next();
          transcript.add("c: " + Show.escape(line));
          Command command = CommandParser.parse(line);
          boolean tlsBefore = session.tlsActive();
          settle(session.command(command), command, tlsBefore);
          assertTrue(IDLE.contains(session.state()), "idle state expected, was " + session.state());
        }
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("dialogue:\n  " + String.join("\n  ", transcript), e);
      }
    }

    /** A command that moves the dialogue forward, so random runs reach DATA and TLS often. */
    String plausibleNext() {
      List<String> options = switch (session.state()) {
        case CONNECTED -> List.of("EHLO client.example", "HELO client.example");
        case GREETED -> session.tlsActive() || !settings.tlsAvailable()
            ? List.of("MAIL FROM:<a@example.org>")
            : List.of("STARTTLS", "MAIL FROM:<a@example.org> SIZE=100");
        default -> List.of("RCPT TO:<u@example.net>", "DATA");
      };
      return options.get(random.nextInt(options.size()));
    }

    /** Carries out effects the way an adapter would, until the session waits for the client. */
    void settle(List<Effect> first, Command cause, boolean tlsBefore) {
      Deque<Effect> work = new ArrayDeque<>(first);
      assertTrue(!work.isEmpty(), "every input must produce an effect");
      while (!work.isEmpty()) {
        Effect effect = work.poll();
        transcript.add("   " + effect);
        if (effect instanceof Effect.Send send) {
          checkReply(send.reply(), cause, tlsBefore);
        } else if (effect instanceof Effect.CheckSender check) {
          assertNotNull(check.sender());
          work.addAll(session.senderDecided(random.nextInt(8) == 0 ? DENY : null));
        } else if (effect instanceof Effect.CheckRecipient check) {
          assertNotNull(check.sender());
          work.addAll(session.recipientDecided(check.recipient(), random.nextInt(4) == 0 ? DENY : ACCEPT));
        } else if (effect instanceof Effect.ReadData read) {
          assertEquals(settings.maxMessageSize(), read.maxSize());
          work.addAll(session.messageRead(readData(read.maxSize())));
        } else if (effect instanceof Effect.Enqueue enqueue) {
          int n = enqueue.envelope().recipients().size();
          assertTrue(n >= 1 && n <= settings.maxRecipients(), "recipients: " + n);
          queuedMessages++;
          work.addAll(random.nextInt(8) == 0 ? session.queueFailed(QUEUE_DOWN) : session.queued("Q" + queuedMessages));
        } else if (effect instanceof Effect.StartTls start) {
          assertEquals(220, start.ready().code());
          assertTrue(settings.tlsAvailable() && !tlsBefore, "STARTTLS must only start when offered");
          handshakes++;
          work.addAll(random.nextInt(10) == 0 ? session.tlsFailed() : session.tlsStarted(Dialogue.TLS13));
        } else if (effect instanceof Effect.Close) {
          assertEquals(SmtpSession.State.CLOSED, session.state());
        }
      }
    }

    void checkReply(Reply reply, Command cause, boolean tlsBefore) {
      assertTrue(reply.code() >= 200 && reply.code() <= 599, "code " + reply.code());
      assertTrue(WIRE.matcher(reply.toWire()).matches(), "wire form " + Show.escape(reply.toWire()));
      boolean greeting = cause == null || cause instanceof Command.Ehlo || cause instanceof Command.Helo;
      if (reply.enhanced() == null) {
        assertTrue(reply.code() == 354 || (greeting && reply.code() / 100 == 2),
            "only the greeting, HELO/EHLO and 354 may lack an enhanced code: " + reply);
      } else {
        assertEquals(reply.code() / 100, reply.enhanced().charAt(0) - '0', "enhanced class of " + reply);
      }
      if (settings.tlsRequired() && !tlsBefore && refusedWithoutTls(cause)) {
        transactionCommandsRefusedForTls++;
        assertEquals(530, reply.code(), "required TLS must hold back " + cause);
      }
    }

    /** Feeds a few random lines, sometimes long or hostile, then the final dot. */
    DataReader readData(long maxSize) {
      DataReader reader = new DataReader(maxSize);
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        String text = random.nextInt(20) == 0 ? "z".repeat(900 + random.nextInt(200)) : lines.next();
        if (text.equals(".")) {
          text = "..";
        }
        assertTrue(!reader.line(text.getBytes(StandardCharsets.ISO_8859_1)), "only the lone dot ends the data");
      }
      assertTrue(reader.line(new byte[] {'.'}));
      return reader;
    }
  }

  private static boolean refusedWithoutTls(Command c) {
    return c instanceof Command.Mail || c instanceof Command.Rcpt || c instanceof Command.Data
        || c instanceof Command.Help || c instanceof Command.Vrfy;
  }
}
