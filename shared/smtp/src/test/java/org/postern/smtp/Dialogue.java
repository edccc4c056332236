package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an SMTP dialogue written as a script against a {@link SmtpSession}, playing the adapter.
 *
 * <pre>
 * s: 220                      next effect is a reply (Send or StartTls's ready) with this code
 * s: 530 5.7.0 Must issue...  ... and this enhanced code and first-line text, when given
 * c: MAIL FROM:&lt;a@b&gt;          the client sends a command line (parsed by CommandParser)
 * policy: 554 5.7.1 Denied    answers the pending CheckRecipient (or CheckSender)
 *                             (a CheckSender nobody answers is accepted: most scripts are not about it)
 * d: some text                a DATA line (ISO-8859-1 bytes); "d: ." ends the data
 * queue: ABC                  the queue stores the pending Enqueue under this id
 * queue-failed: 451 4.3.0 x   the queue fails the pending Enqueue
 * tls: ok | tls: failed       the handshake announced by the last StartTls ends
 * xclient: ok | xclient: 554 5.7.1 x   policy's connect-time answer to the pending XCLIENT
 * closed                      next effect is Close
 * </pre>
 *
 * Every effect must be consumed by the script: a reply nobody checked fails the dialogue, so a
 * script cannot silently skip past an unexpected answer.
 */
final class Dialogue {

  static final TlsFacts TLS13 =
      new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, Verify.NO, null, null, null, null);

  private static final Pattern REPLY = Pattern.compile("(\\d{3})(?: ([245]\\.\\d{1,3}\\.\\d{1,3}))?(?: (.*))?");

  final SmtpSession session;
  private final Deque<Effect> pending = new ArrayDeque<>();
  private final List<Reply> replies = new ArrayList<>();
  private final List<Effect.Enqueue> enqueued = new ArrayList<>();
  private final List<Xclient.Attributes> clients = new ArrayList<>();
  private DataReader reader;
  private boolean handshaking;
  private String where = "greeting";

  private Dialogue(SmtpSession session) {
    this.session = session;
    pending.addAll(session.greet());
  }

  static Dialogue run(SessionSettings settings, String... script) {
    return run(new SmtpSession(settings, false), List.of(script));
  }

  static Dialogue run(SessionSettings settings, List<String> script) {
    return run(new SmtpSession(settings, false), script);
  }

  static Dialogue run(SmtpSession session, List<String> script) {
    Dialogue d = new Dialogue(session);
    for (int i = 0; i < script.size(); i++) {
      d.where = "step " + (i + 1) + " '" + Show.escape(script.get(i)) + "'";
      d.step(script.get(i));
    }
    d.where = "end of script";
    assertTrue(d.pending.isEmpty(), () -> d.where + ": effects left unchecked: " + d.pending);
    return d;
  }

  /** Flattens strings and lists of strings into one script, for generated DATA sections. */
  static List<String> script(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object p : parts) {
      if (p instanceof List<?> l) {
        l.forEach(x -> out.add((String) x));
      } else {
        out.add((String) p);
      }
    }
    return out;
  }

  static List<String> repeat(int times, String line) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      out.add(line);
    }
    return out;
  }

  /** Every reply the session sent, in order. */
  List<Reply> replies() {
    return replies;
  }

  Reply lastReply() {
    return replies.get(replies.size() - 1);
  }

  /** The last message handed to the queue. */
  Effect.Enqueue lastEnqueued() {
    assertTrue(!enqueued.isEmpty(), "nothing was enqueued");
    return enqueued.get(enqueued.size() - 1);
  }

  /** The attributes of the last XCLIENT the session asked policy about. */
  Xclient.Attributes lastClient() {
    assertTrue(!clients.isEmpty(), "no XCLIENT reached policy");
    return clients.get(clients.size() - 1);
  }

  private void step(String line) {
    if (line.equals("closed")) {
      assertInstanceOf(Effect.Close.class, next(), where);
      return;
    }
    int colon = line.indexOf(": ");
    String kind = colon < 0 ? line : line.substring(0, colon);
    String rest = colon < 0 ? "" : line.substring(colon + 2);
    switch (kind) {
      case "c" -> {
        assertTrue(pending.isEmpty(), () -> where + ": effects not yet checked: " + pending);
        assertTrue(reader == null && !handshaking, () -> where + ": a command while DATA or TLS is pending");
        pending.addAll(session.command(CommandParser.parse(rest)));
      }
      case "s" -> expectReply(rest);
      case "policy" -> {
        Effect effect = pending.poll();
        if (effect instanceof Effect.CheckSender) {
          pending.addAll(session.senderDecided(reply(rest)));
        } else {
          Effect.CheckRecipient check = assertInstanceOf(Effect.CheckRecipient.class, effect, where);
          pending.addAll(session.recipientDecided(check.recipient(), reply(rest)));
        }
      }
      case "d" -> data(rest);
      case "queue" -> {
        enqueued.add(assertInstanceOf(Effect.Enqueue.class, next(), where));
        pending.addAll(session.queued(rest));
      }
      case "queue-failed" -> {
        enqueued.add(assertInstanceOf(Effect.Enqueue.class, next(), where));
        pending.addAll(session.queueFailed(reply(rest)));
      }
      case "tls" -> {
        assertTrue(handshaking, () -> where + ": no STARTTLS handshake is pending");
        handshaking = false;
        switch (rest) {
          case "ok" -> pending.addAll(session.tlsStarted(TLS13));
          case "failed" -> pending.addAll(session.tlsFailed());
          default -> fail(where + ": tls takes ok or failed");
        }
      }
      case "xclient" -> {
        clients.add(assertInstanceOf(Effect.CheckClient.class, next(), where).attributes());
        pending.addAll(session.xclientDecided(rest.equals("ok") ? null : reply(rest)));
      }
      default -> fail(where + ": unknown script line");
    }
  }

  private void expectReply(String spec) {
    Matcher m = REPLY.matcher(spec);
    assertTrue(m.matches(), () -> where + ": malformed expectation");
    Effect effect = next();
    Reply actual;
    if (effect instanceof Effect.Send send) {
      actual = send.reply();
    } else if (effect instanceof Effect.StartTls start) {
      actual = start.ready();
      handshaking = true;
    } else {
      actual = fail(where + ": expected a reply but the session asked for " + effect);
    }
    replies.add(actual);
    Reply got = actual;
    assertEquals(Integer.parseInt(m.group(1)), got.code(), () -> where + ": got " + got);
    if (m.group(2) != null) {
      assertEquals(m.group(2), got.enhanced(), () -> where + ": got " + got);
    }
    if (m.group(3) != null) {
      assertEquals(m.group(3), got.text(), () -> where + ": got " + got);
    }
  }

  private void data(String text) {
    if (reader == null) {
      Effect.ReadData read = assertInstanceOf(Effect.ReadData.class, next(), where);
      reader = new DataReader(read.maxSize());
    }
    if (reader.line(text.getBytes(StandardCharsets.ISO_8859_1))) {
      DataReader done = reader;
      reader = null;
      pending.addAll(session.messageRead(done));
    }
  }

  private Effect next() {
    Effect e = pending.poll();
    if (e instanceof Effect.CheckSender) {
      pending.addAll(session.senderDecided(null));
      e = pending.poll();
    }
    assertNotNull(e, () -> where + ": the session produced no further effect");
    return e;
  }

  private Reply reply(String spec) {
    Matcher m = REPLY.matcher(spec);
    assertTrue(m.matches() && m.group(2) != null, () -> where + ": a verdict needs code and enhanced code");
    return Reply.of(Integer.parseInt(m.group(1)), m.group(2), m.group(3) == null ? "" : m.group(3));
  }
}
