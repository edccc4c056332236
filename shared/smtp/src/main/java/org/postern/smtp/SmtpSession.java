package org.postern.smtp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of one SMTP session as a pure state machine: each input returns the effects the
 * adapter must carry out, in order. It holds no sockets and no timers, so every dialogue of RFC
 * 5321 and RFC 3207 can be tested as a table.
 *
 * <p>While an effect that needs an answer is outstanding (a recipient check, the DATA section, the
 * enqueue, the TLS handshake) the adapter must not feed further commands; pipelined commands wait
 * in order, as RFC 2920 requires.
 */
public final class SmtpSession {

  /** Where the session is in RFC 5321's sequence. */
  public enum State {
    /** Connected, no HELO/EHLO yet (also after STARTTLS, which starts the session over). */
    CONNECTED,
    /** HELO or EHLO accepted, no transaction. */
    GREETED,
    /** MAIL accepted; recipients may follow. */
    MAIL,
    /** Waiting for the policy answer on a recipient. */
    CHECKING_RECIPIENT,
    /** Receiving the message text. */
    DATA,
    /** Waiting for the queue to confirm the message is durable. */
    QUEUEING,
    /** 220 sent for STARTTLS; waiting for the handshake. */
    TLS_HANDSHAKE,
    /** QUIT or a fatal error: nothing more is read. */
    CLOSED
  }

  static final Reply OK = Reply.of(250, "2.0.0", "Ok");
  static final Reply NEED_HELO = Reply.of(503, "5.5.1", "Error: send HELO/EHLO first");
  static final Reply NEED_EHLO = Reply.of(503, "5.5.1", "Error: send EHLO first");
  static final Reply NEED_MAIL = Reply.of(503, "5.5.1", "Error: need MAIL command");
  static final Reply NEED_RCPT = Reply.of(503, "5.5.1", "Error: need RCPT command");
  static final Reply NESTED_MAIL = Reply.of(503, "5.5.1", "Error: nested MAIL command");
  static final Reply IN_TRANSACTION = Reply.of(503, "5.5.1", "Error: MAIL transaction in progress");
  static final Reply UNKNOWN = Reply.of(500, "5.5.1", "Error: command not recognized");
  static final Reply MUST_STARTTLS = Reply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  static final Reply TLS_READY = Reply.of(220, "2.0.0", "Ready to start TLS");
  static final Reply TLS_NO_PARAMS = Reply.of(501, "5.5.4", "Syntax error (no parameters allowed)");
  static final Reply TLS_UNAVAILABLE = Reply.of(454, "4.7.0", "TLS not available due to temporary reason");
  static final Reply TLS_ACTIVE = Reply.of(554, "5.5.1", "Error: TLS already active");
  static final Reply TOO_MANY_RCPTS = Reply.of(452, "4.5.3", "Error: too many recipients");
  static final Reply TOO_BIG = Reply.of(552, "5.3.4", "Error: message file too big");
  static final Reply SIZE_EXCEEDED = Reply.of(552, "5.3.4", "Message size exceeds fixed limit");
  static final Reply LINE_TOO_LONG = Reply.of(554, "5.6.0", "Error: message line longer than 998 octets");
  static final Reply BARE_LINE_END = Reply.of(554, "5.6.0", "Error: bare <CR> or <LF> in message text");
  static final Reply START_DATA = Reply.of(354, null, "End data with <CR><LF>.<CR><LF>");
  static final Reply VRFY = Reply.of(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
  static final Reply HELP = Reply.of(214, "2.0.0", "See RFC 5321: https://www.rfc-editor.org/rfc/rfc5321");
  static final Reply BYE = Reply.of(221, "2.0.0", "Bye");

  private final SessionSettings settings;
  private State state = State.CONNECTED;
  private boolean tls;
  private boolean esmtp;
  private String helo;
  private Path sender;
  private Map<String, String> mailParams = Map.of();
  private final List<Path> recipients = new ArrayList<>();
  private TlsFacts tlsFacts;

  /**
   * @param settings the listener's settings
   * @param tlsActive true when the connection is already TLS (e.g. implicit TLS on port 465)
   */
  public SmtpSession(SessionSettings settings, boolean tlsActive) {
    this.settings = settings;
    this.tls = tlsActive;
  }

  public State state() {
    return state;
  }

  public boolean tlsActive() {
    return tls;
  }

  /** The TLS facts of the handshake, or null before STARTTLS. */
  public TlsFacts tlsFacts() {
    return tlsFacts;
  }

  /** The HELO/EHLO name, or null. */
  public String helo() {
    return helo;
  }

  /** RFC 3848's "with" keyword for the Received header. */
  public String protocol() {
    return esmtp ? (tls ? "ESMTPS" : "ESMTP") : "SMTP";
  }

  /** The 220 greeting. */
  public List<Effect> greet() {
    return send(Reply.plain(220, settings.hostname() + " ESMTP Postern"));
  }

  /** Processes one command. Must not be called while an answer is outstanding. */
  public List<Effect> command(Command command) {
    if (state == State.CLOSED) {
      throw new IllegalStateException("session closed");
    }
    if (state != State.CONNECTED && state != State.GREETED && state != State.MAIL) {
      throw new IllegalStateException("command while waiting in state " + state);
    }
    if (settings.tlsRequired() && !tls && !allowedBeforeTls(command)) {
      return send(MUST_STARTTLS);
    }
    if (command instanceof Command.Ehlo c) {
      return hello(c.domain(), true);
    } else if (command instanceof Command.Helo c) {
      return hello(c.domain(), false);
    } else if (command instanceof Command.Mail c) {
      return mail(c);
    } else if (command instanceof Command.Rcpt c) {
      return rcpt(c);
    } else if (command instanceof Command.Data) {
      return data();
    } else if (command instanceof Command.Rset) {
      resetTransaction();
      return send(OK);
    } else if (command instanceof Command.Noop) {
      return send(OK);
    } else if (command instanceof Command.Quit) {
      state = State.CLOSED;
      return List.of(new Effect.Send(BYE), new Effect.Close());
    } else if (command instanceof Command.Help) {
      return send(HELP);
    } else if (command instanceof Command.Vrfy) {
      return send(VRFY);
    } else if (command instanceof Command.StartTls c) {
      return startTls(c);
    } else if (command instanceof Command.Invalid c) {
      return send(c.reply());
    } else {
      return send(UNKNOWN);
    }
  }

  /** The policy's answer to {@link Effect.CheckRecipient}: a 2xx accepts the recipient. */
  public List<Effect> recipientDecided(Path recipient, Reply verdict) {
    expect(State.CHECKING_RECIPIENT);
    state = State.MAIL;
    if (verdict.isPositive()) {
      recipients.add(recipient);
    }
    return send(verdict);
  }

  /** The end of the DATA section. */
  public List<Effect> messageRead(DataReader reader) {
    expect(State.DATA);
    switch (reader.outcome()) {
      case COMPLETE:
        state = State.QUEUEING;
        return List.of(new Effect.Enqueue(new Envelope(sender, recipients, mailParams), reader.body()));
      case TOO_BIG:
        resetTransaction();
        return send(TOO_BIG);
      case LINE_TOO_LONG:
        resetTransaction();
        return send(LINE_TOO_LONG);
      default:
        resetTransaction();
        return send(BARE_LINE_END);
    }
  }

  /** The queue confirmed the message is on stable storage. */
  public List<Effect> queued(String queueId) {
    expect(State.QUEUEING);
    resetTransaction();
    return send(Reply.of(250, "2.0.0", "Ok: queued as " + queueId));
  }

  /** The queue could not store the message; the reply says why (a 4xx unless it is certain). */
  public List<Effect> queueFailed(Reply reply) {
    expect(State.QUEUEING);
    resetTransaction();
    return send(reply);
  }

  /**
   * The handshake completed. RFC 3207 §4.2: the client must discard what it knew, and so do we:
   * the HELO name, the transaction; the client must send EHLO again.
   */
  public List<Effect> tlsStarted(TlsFacts facts) {
    expect(State.TLS_HANDSHAKE);
    tls = true;
    tlsFacts = facts;
    helo = null;
    esmtp = false;
    resetTransaction();
    state = State.CONNECTED;
    return List.of();
  }

  /** The handshake failed: there is no way back to plaintext on this connection. */
  public List<Effect> tlsFailed() {
    expect(State.TLS_HANDSHAKE);
    state = State.CLOSED;
    return List.of(new Effect.Close());
  }

  /** The EHLO response lines, which depend on whether TLS is active. */
  List<String> ehloLines() {
    List<String> lines = new ArrayList<>();
    lines.add(settings.hostname());
    lines.add("PIPELINING");
    lines.add("SIZE " + settings.maxMessageSize());
    if (settings.tlsAvailable() && !tls) {
      lines.add("STARTTLS");
    }
    lines.add("ENHANCEDSTATUSCODES");
    lines.add("8BITMIME");
    return lines;
  }

  private List<Effect> hello(String domain, boolean extended) {
    // RFC 5321 §4.1.4: HELO/EHLO in the middle of a transaction resets it.
    resetTransaction();
    helo = domain;
    esmtp = extended;
    state = State.GREETED;
    if (extended) {
      return send(Reply.multiline(250, null, ehloLines()));
    }
    return send(Reply.plain(250, settings.hostname()));
  }

  private List<Effect> mail(Command.Mail c) {
    if (state == State.CONNECTED) {
      return send(NEED_HELO);
    }
    if (state == State.MAIL) {
      return send(NESTED_MAIL);
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, String> p : c.params().entrySet()) {
      if (!esmtp) {
        // HELO clients were offered no extension, so no parameter is valid, whatever its value.
        return send(Reply.of(555, "5.5.4", "Unsupported option: " + p.getKey()));
      }
      switch (p.getKey()) {
        case "SIZE": {
          String v = p.getValue();
          if (v.isEmpty() || v.length() > 20 || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return send(Reply.of(501, "5.5.4", "Bad SIZE parameter"));
          }
          // RFC 1870 allows 20 digits, more than a long holds: anything that long is too big.
          if (v.length() > 18 || Long.parseLong(v) > settings.maxMessageSize()) {
            return send(SIZE_EXCEEDED);
          }
          break;
        }
        case "BODY": {
          String body = p.getValue().toUpperCase(Locale.ROOT);
          if (!body.equals("7BIT") && !body.equals("8BITMIME")) {
            return send(Reply.of(501, "5.5.4", "Bad BODY parameter"));
          }
          break;
        }
        default:
          return send(Reply.of(555, "5.5.4", "Unsupported option: " + p.getKey()));
      }
      params.put(p.getKey(), p.getValue());
    }
    sender = c.sender();
    mailParams = params;
    state = State.MAIL;
    return send(Reply.of(250, "2.1.0", "Ok"));
  }

  private List<Effect> rcpt(Command.Rcpt c) {
    if (state == State.CONNECTED) {
      return send(NEED_HELO);
    }
    if (state != State.MAIL) {
      return send(NEED_MAIL);
    }
    if (!c.params().isEmpty()) {
      return send(Reply.of(555, "5.5.4", "Unsupported option: " + c.params().keySet().iterator().next()));
    }
    if (recipients.size() >= settings.maxRecipients()) {
      return send(TOO_MANY_RCPTS);
    }
    Path recipient = c.recipient();
    if (recipient.domain().isEmpty()) {
      // RFC 5321 §4.5.1: <Postmaster> without a domain means our postmaster.
      recipient = new Path(recipient.localPart(), settings.hostname());
    }
    state = State.CHECKING_RECIPIENT;
    return List.of(new Effect.CheckRecipient(sender, recipient));
  }

  private List<Effect> data() {
    if (state == State.CONNECTED) {
      return send(NEED_HELO);
    }
    if (state != State.MAIL) {
      return send(NEED_MAIL);
    }
    if (recipients.isEmpty()) {
      return send(NEED_RCPT);
    }
    state = State.DATA;
    return List.of(new Effect.Send(START_DATA), new Effect.ReadData(settings.maxMessageSize()));
  }

  private List<Effect> startTls(Command.StartTls c) {
    if (c.hasArgument()) {
      return send(TLS_NO_PARAMS);
    }
    if (tls) {
      return send(TLS_ACTIVE);
    }
    if (!settings.tlsAvailable()) {
      return send(TLS_UNAVAILABLE);
    }
    if (state == State.CONNECTED || !esmtp) {
      return send(NEED_EHLO);
    }
    if (state == State.MAIL) {
      return send(IN_TRANSACTION);
    }
    state = State.TLS_HANDSHAKE;
    return List.of(new Effect.StartTls(TLS_READY));
  }

  private static boolean allowedBeforeTls(Command c) {
    return c instanceof Command.Ehlo
        || c instanceof Command.Helo
        || c instanceof Command.Noop
        || c instanceof Command.Rset
        || c instanceof Command.Quit
        || c instanceof Command.StartTls;
  }

  private void resetTransaction() {
    sender = null;
    mailParams = Map.of();
    recipients.clear();
    if (state != State.CONNECTED && state != State.CLOSED) {
      state = helo == null ? State.CONNECTED : State.GREETED;
    }
  }

  private void expect(State expected) {
    if (state != expected) {
      throw new IllegalStateException("expected state " + expected + " but was " + state);
    }
  }

  private static List<Effect> send(Reply reply) {
    return List.of(new Effect.Send(reply));
  }
}
