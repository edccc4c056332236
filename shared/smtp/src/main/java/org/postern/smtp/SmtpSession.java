package org.postern.smtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of one SMTP session as a pure state machine: each input returns the effects the
 * adapter must carry out, in order. It holds no sockets and no timers, so every dialogue of RFC
 * 5321, RFC 3207, RFC 3030, RFC 3461, RFC 4954 and RFC 6531 can be tested as a table.
 *
 * <p>While an effect that needs an answer is outstanding (a recipient check, the DATA section, a
 * BDAT chunk, a password check, the enqueue, the TLS handshake) the adapter must not feed further
 * commands; pipelined commands wait, in order, as RFC 2920 requires.
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
    /** Waiting for the policy answer on a sender (MAIL). */
    CHECKING_SENDER,
    /** Waiting for the policy answer on a recipient. */
    CHECKING_RECIPIENT,
    /** Receiving the message text after DATA. */
    DATA,
    /** Receiving the octets of a BDAT chunk. */
    CHUNK,
    /** Waiting for the client's next AUTH response line (after a 334). */
    AUTH,
    /** Waiting for a password check. */
    CHECKING_CREDENTIALS,
    /** Waiting for policy's connect-time answer about the client an XCLIENT named. */
    CHECKING_CLIENT,
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
  static final Reply MIXED_DATA = Reply.of(503, "5.5.1", "Error: DATA and BDAT cannot be mixed in one message");
  static final Reply UNKNOWN = Reply.of(500, "5.5.1", "Error: command not recognized");
  static final Reply MUST_STARTTLS = Reply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  static final Reply TLS_READY = Reply.of(220, "2.0.0", "Ready to start TLS");
  static final Reply TLS_NO_PARAMS = Reply.of(501, "5.5.4", "Syntax error (no parameters allowed)");
  static final Reply TLS_UNAVAILABLE = Reply.of(454, "4.7.0", "TLS not available due to temporary reason");
  // sendmail's answer when Srv_Features withholds STARTTLS from a client: not offered, so a
  // command out of place rather than a temporary failure worth retrying.
  static final Reply TLS_WITHHELD = Reply.of(503, "5.5.0", "TLS not available");
  static final Reply TLS_ACTIVE = Reply.of(554, "5.5.1", "Error: TLS already active");
  static final Reply TOO_MANY_RCPTS = Reply.of(452, "4.5.3", "Error: too many recipients");
  static final Reply TOO_BIG = Reply.of(552, "5.3.4", "Error: message file too big");
  static final Reply NO_MEMORY = Reply.of(452, "4.3.1", "Insufficient system resources, try again later");
  static final Reply SIZE_EXCEEDED = Reply.of(552, "5.3.4", "Message size exceeds fixed limit");
  static final Reply LINE_TOO_LONG = Reply.of(554, "5.6.0", "Error: message line longer than 998 octets");
  static final Reply BARE_LINE_END = Reply.of(554, "5.6.0", "Error: bare <CR> or <LF> in message text");
  static final Reply START_DATA = Reply.of(354, null, "End data with <CR><LF>.<CR><LF>");
  static final Reply VRFY = Reply.of(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
  static final Reply HELP = Reply.of(214, "2.0.0", "See RFC 5321: https://www.rfc-editor.org/rfc/rfc5321");
  static final Reply BYE = Reply.of(221, "2.0.0", "Bye");
  static final Reply NEED_SMTPUTF8 = Reply.of(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
  static final Reply AUTH_DISABLED = Reply.of(503, "5.5.1", "Error: authentication not enabled");
  static final Reply AUTH_NEEDS_TLS = Reply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
  static final Reply AUTH_DONE = Reply.of(503, "5.5.1", "Error: already authenticated");
  static final Reply AUTH_MECHANISM = Reply.of(504, "5.5.4", "Unsupported authentication mechanism");
  static final Reply AUTH_ABORTED = Reply.of(501, "5.0.0", "Authentication aborted");
  static final Reply AUTH_BASE64 = Reply.of(501, "5.5.2", "Cannot decode response");
  static final Reply AUTH_OK = Reply.of(235, "2.7.0", "Authentication successful");
  static final Reply AUTH_FAILED = Reply.of(535, "5.7.8", "Error: authentication failed");
  static final Reply XCLIENT_SYNTAX = Reply.of(501, "5.5.4", "Syntax: XCLIENT attribute=value...");
  static final Reply XCLIENT_DENIED = Reply.of(550, "5.7.0", "Error: insufficient authorization");

  private final SessionSettings settings;
  private boolean tlsWithheld;
  private boolean xclientAllowed;
  /** The last XCLIENT's attributes, awaiting policy's answer. */
  private Xclient.Attributes pendingClient;
  /**
   * HELO, PROTO and LOGIN as XCLIENT set them (null: never sent; "" for HELO and LOGIN: sent as
   * unavailable). They outlast the EHLO that follows: Postfix's XCLIENT_README says the server must
   * not reset them.
   */
  private String xclientHelo;
  private String xclientProto;
  private String xclientLogin;
  private final BodyMemory.Lease memory;
  private State state = State.CONNECTED;
  private boolean tls;
  private boolean esmtp;
  private String helo;
  private Path sender;
  private Map<String, String> mailParams = Map.of();
  /** The sender and parameters of a MAIL that policy is judging. */
  private Path pendingSender;
  private Map<String, String> pendingMailParams;
  private final List<Path> recipients = new ArrayList<>();
  private final List<Map<String, String>> rcptParams = new ArrayList<>();
  private Map<String, String> pendingRcptParams = Map.of();
  private TlsFacts tlsFacts;
  private Reply refusal;
  /** After a handshake that cannot be accepted at all: the answer to the next command, then the end. */
  private Reply closingRefusal;
  private int errors;
  private String authUser;
  private String authMechanism;
  private String authLoginUser;
  // BDAT: the message assembled from chunks, and how the current chunk ends.
  private ByteArrayOutputStream chunks;
  private long chunkedSize;
  private boolean chunkLast;
  private Reply chunkRefusal;
  /** The current chunk was refused when announced: its octets are dropped and get no second reply. */
  private boolean chunkAnswered;

  /**
   * @param settings the listener's settings
   * @param tlsActive true when the connection is already TLS (e.g. implicit TLS on port 465)
   */
  public SmtpSession(SessionSettings settings, boolean tlsActive) {
    this(settings, tlsActive, BodyMemory.unlimited().lease());
  }

  /**
   * @param memory this session's share of the node's {@link BodyMemory}: message text received
   *     is taken from it, and given back when the message is queued or refused, on RSET and when
   *     the connection ends ({@link #end})
   */
  public SmtpSession(SessionSettings settings, boolean tlsActive, BodyMemory.Lease memory) {
    this.settings = settings;
    this.tls = tlsActive;
    this.memory = memory;
  }

  /**
   * STARTTLS is withheld from this client on purpose (policy's {@code Srv_Features} S), not
   * missing: EHLO does not offer it (the settings say no TLS) and STARTTLS gets sendmail's
   * {@code 503 5.5.0} instead of the temporary {@code 454}. Call before {@link #greet}.
   */
  public SmtpSession withholdTls() {
    this.tlsWithheld = true;
    return this;
  }

  /**
   * This client is a trusted front end (inbound.xclient_networks): EHLO offers XCLIENT and the
   * command is obeyed; everyone else gets {@code 550 5.7.0}. Call before {@link #greet}.
   */
  public SmtpSession allowXclient() {
    this.xclientAllowed = true;
    return this;
  }

  /** The lease a {@link DataReader} for this session takes from. */
  public BodyMemory.Lease memory() {
    return memory;
  }

  /** The connection is gone: what the message under way held of the node's memory is given back. */
  public void end() {
    memory.releaseAll();
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

  /** The HELO/EHLO name (or the one XCLIENT set), or null. */
  public String helo() {
    // XCLIENT HELO=[UNAVAILABLE] leaves the client's own name: a Received header needs one.
    return xclientHelo != null && !xclientHelo.isEmpty() ? xclientHelo : helo;
  }

  /** The authenticated user, or null. */
  public String authUser() {
    return authUser;
  }

  /** Error replies so far. */
  public int errors() {
    return errors;
  }

  /** RFC 3848's and RFC 6531's "with" keyword for the Received header. */
  public String protocol() {
    if (xclientProto != null ? xclientProto.equals("SMTP") : !esmtp) {
      return "SMTP";
    }
    String p = "ESMTP" + (tls ? "S" : "") + (authUser != null ? "A" : "");
    return mailParams.containsKey("SMTPUTF8") ? "UTF8" + p : p;
  }

  /** The 220 greeting. */
  public List<Effect> greet() {
    return List.of(new Effect.Send(Reply.plain(220, settings.hostname() + " ESMTP Postern")));
  }

  /** Processes one command. Must not be called while an answer is outstanding. */
  public List<Effect> command(Command command) {
    if (state == State.CLOSED) {
      throw new IllegalStateException("session closed");
    }
    if (state != State.CONNECTED && state != State.GREETED && state != State.MAIL) {
      throw new IllegalStateException("command while waiting in state " + state);
    }
    if (closingRefusal != null) {
      // Said once, then the end: a client refused for its certificate has nothing left to try here.
      state = State.CLOSED;
      return List.of(new Effect.Send(closingRefusal), new Effect.Close());
    }
    if (refusal != null && !(command instanceof Command.Quit)) {
      return refuseConsuming(command, refusal);
    }
    if (settings.tlsRequired() && !tls && !allowedBeforeTls(command)) {
      return refuseConsuming(command, MUST_STARTTLS);
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
    } else if (command instanceof Command.Bdat c) {
      return bdat(c);
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
    } else if (command instanceof Command.Auth c) {
      return auth(c);
    } else if (command instanceof Command.Xclient c) {
      return xclient(c);
    } else if (command instanceof Command.Invalid c) {
      if (c.verb().equals("BDAT")) {
        // The chunk size is unknown, so the rest of the input cannot be framed: stop here.
        state = State.CLOSED;
        return List.of(new Effect.Send(c.reply()), new Effect.Close());
      }
      return send(c.reply());
    } else {
      return send(UNKNOWN);
    }
  }

  /**
   * A protocol error found before a command could be parsed (e.g. a line over 512 octets): the
   * reply counts towards the error limit like any other.
   */
  public List<Effect> reject(Reply reply) {
    if (!reply.isTransient() && !reply.isPermanent()) {
      throw new IllegalArgumentException("reject needs a 4xx or 5xx reply");
    }
    return send(reply);
  }

  /**
   * The policy's answer to {@link Effect.CheckSender}: null starts the transaction; a 4xx or 5xx
   * refuses the sender, and the client may try MAIL again.
   */
  public List<Effect> senderDecided(Reply refusal) {
    expect(State.CHECKING_SENDER);
    Path checked = pendingSender;
    Map<String, String> params = pendingMailParams;
    pendingSender = null;
    pendingMailParams = null;
    if (refusal != null) {
      state = State.GREETED;
      return reject(refusal);
    }
    sender = checked;
    mailParams = params;
    state = State.MAIL;
    return send(Reply.of(250, "2.1.0", "Ok"));
  }

  /** The policy's answer to {@link Effect.CheckRecipient}: a 2xx accepts the recipient. */
  public List<Effect> recipientDecided(Path recipient, Reply verdict) {
    expect(State.CHECKING_RECIPIENT);
    state = State.MAIL;
    if (verdict.isPositive()) {
      recipients.add(recipient);
      rcptParams.add(pendingRcptParams);
    }
    return send(verdict);
  }

  /** The end of the DATA section. */
  public List<Effect> messageRead(DataReader reader) {
    expect(State.DATA);
    switch (reader.outcome()) {
      case COMPLETE:
        state = State.QUEUEING;
        return List.of(new Effect.Enqueue(envelope(), reader.body()));
      case TOO_BIG:
        resetTransaction();
        return send(TOO_BIG);
      case LINE_TOO_LONG:
        resetTransaction();
        return send(LINE_TOO_LONG);
      case NO_MEMORY:
        resetTransaction();
        return send(NO_MEMORY);
      default:
        resetTransaction();
        return send(BARE_LINE_END);
    }
  }

  /** Octets of the current BDAT chunk, in order; their sum is the size the command announced. */
  public void chunkData(byte[] piece) {
    expect(State.CHUNK);
    if (chunkRefusal != null || chunkAnswered) {
      return;
    }
    chunkedSize += piece.length;
    if (chunkedSize > settings.maxMessageSize()) {
      chunkRefusal = TOO_BIG;
      chunks = null;
      memory.releaseAll();
      return;
    }
    if (!memory.take(piece.length)) {
      chunkRefusal = NO_MEMORY;
      chunks = null;
      memory.releaseAll();
      return;
    }
    chunks.write(piece, 0, piece.length);
  }

  /** The current BDAT chunk is complete. */
  public List<Effect> chunkEnd() {
    expect(State.CHUNK);
    if (chunkAnswered) {
      chunkAnswered = false;
      state = restingState();
      return List.of();
    }
    Reply refused = chunkRefusal;
    chunkRefusal = null;
    if (refused != null) {
      // A refused chunk ends the message: RFC 3030 §2 lets the server fail the whole transaction.
      resetTransaction();
      state = restingState();
      return send(refused);
    }
    if (!chunkLast) {
      state = State.MAIL;
      return send(Reply.of(250, "2.0.0", "Ok: " + chunkedSize + " octets received"));
    }
    state = State.QUEUEING;
    byte[] body = chunks.toByteArray();
    chunks = null;
    return List.of(new Effect.Enqueue(envelope(), body));
  }

  /** The client's response to a 334 challenge. */
  public List<Effect> authResponse(String line) {
    expect(State.AUTH);
    if (line.equals("*")) {
      endAuth();
      return send(AUTH_ABORTED);
    }
    byte[] decoded;
    try {
      decoded = line.equals("=") ? new byte[0] : Base64.getDecoder().decode(line);
    } catch (IllegalArgumentException e) {
      endAuth();
      return send(AUTH_BASE64);
    }
    if (authMechanism.equals("PLAIN")) {
      return plain(decoded);
    }
    if (authLoginUser == null) {
      authLoginUser = new String(decoded, StandardCharsets.UTF_8);
      return List.of(new Effect.Send(Reply.of(334, null, "UGFzc3dvcmQ6")));
    }
    state = State.CHECKING_CREDENTIALS;
    return List.of(new Effect.CheckCredentials("LOGIN", authLoginUser, new String(decoded, StandardCharsets.UTF_8)));
  }

  /** The answer to {@link Effect.CheckCredentials}. */
  public List<Effect> credentialsChecked(String user, boolean ok) {
    expect(State.CHECKING_CREDENTIALS);
    endAuth();
    if (ok) {
      authUser = user;
      return send(AUTH_OK);
    }
    return send(AUTH_FAILED);
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
   * the HELO name, the transaction, any authentication; the client must send EHLO again.
   */
  public List<Effect> tlsStarted(TlsFacts facts) {
    return tlsStarted(facts, null);
  }

  /**
   * The handshake completed, but the TLS is not good enough for this client (weak cipher, missing
   * or unverified certificate): every command but QUIT gets {@code refusal} (RFC 3207 §4.1).
   */
  public List<Effect> tlsStarted(TlsFacts facts, Reply refusal) {
    expect(State.TLS_HANDSHAKE);
    tls = true;
    tlsFacts = facts;
    this.refusal = refusal;
    helo = null;
    esmtp = false;
    authUser = null;
    resetTransaction();
    state = State.CONNECTED;
    return List.of();
  }

  /**
   * The handshake completed, but this connection cannot go on at all (a listener with
   * {@code ccert=require} and no verified client certificate): the next command, whatever it is,
   * gets {@code closing} (a 421 saying why), and the session ends. Repeating a refusal to every
   * command would only keep a client that cannot succeed busy; Postfix closes the same way.
   */
  public List<Effect> tlsStartedButClosing(TlsFacts facts, Reply closing) {
    if (!closing.isTransient() && !closing.isPermanent()) {
      throw new IllegalArgumentException("a closing refusal needs a 4xx or 5xx reply");
    }
    List<Effect> effects = tlsStarted(facts, null);
    closingRefusal = closing;
    return effects;
  }

  /**
   * Policy's connect-time answer about the client the last XCLIENT named: null restarts the session
   * with a new 220 greeting (XCLIENT_README: back to the initial greeting stage; TLS stays, and so
   * do HELO, PROTO and LOGIN from XCLIENT, LOGIN counting as authenticated); a refusal is sent and
   * the connection closes, as a refusal at connect would.
   */
  public List<Effect> xclientDecided(Reply refusal) {
    expect(State.CHECKING_CLIENT);
    Xclient.Attributes a = pendingClient;
    pendingClient = null;
    if (refusal != null) {
      state = State.CLOSED;
      return List.of(new Effect.Send(refusal), new Effect.Close());
    }
    xclientHelo = a.helo() != null ? a.helo() : xclientHelo;
    xclientProto = a.proto() != null ? a.proto() : xclientProto;
    xclientLogin = a.login() != null ? a.login() : xclientLogin;
    resetTransaction();
    helo = null;
    esmtp = false;
    authUser = xclientLogin == null || xclientLogin.isEmpty() ? null : xclientLogin;
    state = State.CONNECTED;
    return greet();
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
    if (settings.authAvailable() && tls) {
      lines.add("AUTH PLAIN LOGIN");
    }
    lines.add("ENHANCEDSTATUSCODES");
    lines.add("8BITMIME");
    lines.add("DSN");
    lines.add("SMTPUTF8");
    lines.add("CHUNKING");
    if (xclientAllowed) {
      lines.add("XCLIENT " + Xclient.SUPPORTED);
    }
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
      Reply bad = checkMailParam(p.getKey(), p.getValue());
      if (bad != null) {
        return send(bad);
      }
      if (!p.getKey().equals("AUTH")) {
        params.put(p.getKey(), p.getKey().equals("BODY") || p.getKey().equals("RET")
            ? p.getValue().toUpperCase(Locale.ROOT) : p.getValue());
      }
    }
    if (!c.sender().isAscii() && !params.containsKey("SMTPUTF8")) {
      return send(NEED_SMTPUTF8);
    }
    pendingSender = c.sender();
    pendingMailParams = params;
    state = State.CHECKING_SENDER;
    return List.of(new Effect.CheckSender(c.sender()));
  }

  private Reply checkMailParam(String key, String value) {
    switch (key) {
      case "SIZE":
        if (value.isEmpty() || value.length() > 20 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
          return Reply.of(501, "5.5.4", "Bad SIZE parameter");
        }
        // RFC 1870 allows 20 digits, more than a long holds: anything that long is too big.
        return value.length() > 18 || Long.parseLong(value) > settings.maxMessageSize() ? SIZE_EXCEEDED : null;
      case "BODY": {
        String body = value.toUpperCase(Locale.ROOT);
        return body.equals("7BIT") || body.equals("8BITMIME") ? null : Reply.of(501, "5.5.4", "Bad BODY parameter");
      }
      case "SMTPUTF8":
        return value.isEmpty() ? null : Reply.of(501, "5.5.4", "SMTPUTF8 takes no value");
      case "RET":
        return Dsn.checkRet(value);
      case "ENVID":
        return Dsn.checkEnvid(value);
      case "AUTH":
        // RFC 4954 §5: accepted and, since we do not trust other servers' AUTH claims, ignored.
        return value.equals("<>") || Dsn.isXtext(value) ? null : Reply.of(501, "5.5.4", "Bad AUTH parameter");
      default:
        return Reply.of(555, "5.5.4", "Unsupported option: " + key);
    }
  }

  private List<Effect> rcpt(Command.Rcpt c) {
    if (state == State.CONNECTED) {
      return send(NEED_HELO);
    }
    if (state != State.MAIL) {
      return send(NEED_MAIL);
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, String> p : c.params().entrySet()) {
      Reply bad = switch (p.getKey()) {
        case "NOTIFY" -> Dsn.checkNotify(p.getValue());
        case "ORCPT" -> Dsn.checkOrcpt(p.getValue());
        default -> Reply.of(555, "5.5.4", "Unsupported option: " + p.getKey());
      };
      if (bad != null) {
        return send(bad);
      }
      params.put(p.getKey(), p.getKey().equals("NOTIFY") ? p.getValue().toUpperCase(Locale.ROOT) : p.getValue());
    }
    if (!c.recipient().isAscii() && !mailParams.containsKey("SMTPUTF8")) {
      return send(NEED_SMTPUTF8);
    }
    if (recipients.size() >= settings.maxRecipients()) {
      return send(TOO_MANY_RCPTS);
    }
    Path recipient = c.recipient();
    if (isOurPostmaster(recipient)) {
      // RFC 5321 §4.5.1: a relay too must accept mail for its postmaster, from anyone. Postern
      // delivers nothing locally, so it goes on to the address the settings name.
      recipients.add(settings.postmaster());
      rcptParams.add(params);
      return send(Reply.of(250, "2.1.5", "Ok"));
    }
    pendingRcptParams = params;
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
    if (chunks != null) {
      return send(MIXED_DATA);
    }
    if (recipients.isEmpty()) {
      return send(NEED_RCPT);
    }
    if (!memory.roomLeft()) {
      // Refused before the text is sent, not after: the transaction stays, DATA may be tried again.
      return send(NO_MEMORY);
    }
    state = State.DATA;
    return List.of(new Effect.Send(START_DATA), new Effect.ReadData(settings.maxMessageSize()));
  }

  private List<Effect> bdat(Command.Bdat c) {
    Reply refused = null;
    if (state == State.CONNECTED) {
      refused = NEED_HELO;
    } else if (state != State.MAIL) {
      refused = NEED_MAIL;
    } else if (recipients.isEmpty()) {
      refused = NEED_RCPT;
    }
    if (refused != null) {
      return consume(c, refused);
    }
    if (chunks == null && !memory.roomLeft()) {
      return consume(c, NO_MEMORY);
    }
    long before = chunks == null ? 0 : chunkedSize;
    if (c.size() > settings.maxMessageSize() - before) {
      return refuseOversizeChunk(c);
    }
    if (chunks == null) {
      chunks = new ByteArrayOutputStream(8192);
      chunkedSize = 0;
    }
    chunkLast = c.last();
    state = State.CHUNK;
    return List.of(new Effect.ReadChunk(c.size()));
  }

  /**
   * A chunk that would take the message past the size limit is refused when announced, not after
   * its octets: a client may wait for the reply before sending a large chunk, and none could ever
   * be accepted. The transaction ends (RFC 3030 §2 lets the server fail it) and the octets that
   * follow are still read and dropped, with no second reply, so the input stays framed.
   */
  private List<Effect> refuseOversizeChunk(Command.Bdat c) {
    resetTransaction();
    List<Effect> effects = new ArrayList<>(send(TOO_BIG));
    if (state != State.CLOSED) {
      chunkAnswered = true;
      state = State.CHUNK;
      effects.add(new Effect.ReadChunk(c.size()));
    }
    return effects;
  }

  /** Refuses a command; a BDAT's chunk is still read (and dropped) so the input stays framed. */
  private List<Effect> refuseConsuming(Command command, Reply reply) {
    if (command instanceof Command.Bdat b) {
      return consume(b, reply);
    }
    return send(reply);
  }

  private List<Effect> consume(Command.Bdat c, Reply reply) {
    chunkRefusal = reply;
    state = State.CHUNK;
    return List.of(new Effect.ReadChunk(c.size()));
  }

  private List<Effect> startTls(Command.StartTls c) {
    if (c.hasArgument()) {
      return send(TLS_NO_PARAMS);
    }
    if (tls) {
      return send(TLS_ACTIVE);
    }
    if (!settings.tlsAvailable()) {
      return send(tlsWithheld ? TLS_WITHHELD : TLS_UNAVAILABLE);
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

  /** Postfix's order: a transaction first, then the syntax, then whether this client may. */
  private List<Effect> xclient(Command.Xclient c) {
    if (state == State.MAIL) {
      return send(IN_TRANSACTION);
    }
    if (c.words().isEmpty()) {
      return send(XCLIENT_SYNTAX);
    }
    if (!xclientAllowed) {
      return send(XCLIENT_DENIED);
    }
    Xclient.Parsed parsed = Xclient.parse(c.words());
    if (parsed.error() != null) {
      return send(parsed.error());
    }
    pendingClient = parsed.attributes();
    state = State.CHECKING_CLIENT;
    return List.of(new Effect.CheckClient(parsed.attributes()));
  }

  private List<Effect> auth(Command.Auth c) {
    if (!settings.authAvailable()) {
      return send(AUTH_DISABLED);
    }
    if (!tls) {
      return send(AUTH_NEEDS_TLS);
    }
    if (state == State.CONNECTED || !esmtp) {
      return send(NEED_EHLO);
    }
    if (authUser != null) {
      return send(AUTH_DONE);
    }
    if (state == State.MAIL) {
      return send(IN_TRANSACTION);
    }
    if (!c.mechanism().equals("PLAIN") && !c.mechanism().equals("LOGIN")) {
      return send(AUTH_MECHANISM);
    }
    authMechanism = c.mechanism();
    authLoginUser = null;
    state = State.AUTH;
    if (c.initialResponse() != null) {
      return authResponse(c.initialResponse());
    }
    return List.of(new Effect.Send(Reply.of(334, null, c.mechanism().equals("PLAIN") ? " " : "VXNlcm5hbWU6")));
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd. A different authzid (acting as another user) is refused. */
  private List<Effect> plain(byte[] decoded) {
    String s = new String(decoded, StandardCharsets.UTF_8);
    String[] parts = s.split("\0", -1);
    if (parts.length != 3 || parts[1].isEmpty() || (!parts[0].isEmpty() && !parts[0].equals(parts[1]))) {
      endAuth();
      return send(AUTH_FAILED);
    }
    state = State.CHECKING_CREDENTIALS;
    return List.of(new Effect.CheckCredentials("PLAIN", parts[1], parts[2]));
  }

  private void endAuth() {
    authMechanism = null;
    authLoginUser = null;
    state = State.GREETED;
  }

  /** {@code <Postmaster>} (no domain, any case) or postmaster at our host name. */
  private boolean isOurPostmaster(Path p) {
    return p.localPart().equalsIgnoreCase("postmaster")
        && (p.domain().isEmpty() || p.domain().equalsIgnoreCase(settings.hostname()));
  }

  private Envelope envelope() {
    return new Envelope(sender, recipients, rcptParams, mailParams);
  }

  private static boolean allowedBeforeTls(Command c) {
    return c instanceof Command.Ehlo
        || c instanceof Command.Helo
        || c instanceof Command.Noop
        || c instanceof Command.Rset
        || c instanceof Command.Quit
        || c instanceof Command.StartTls;
  }

  private State restingState() {
    return helo == null ? State.CONNECTED : State.GREETED;
  }

  private void resetTransaction() {
    sender = null;
    mailParams = Map.of();
    recipients.clear();
    rcptParams.clear();
    chunks = null;
    chunkedSize = 0;
    memory.releaseAll();
    if (state != State.CONNECTED && state != State.CLOSED) {
      state = restingState();
    }
  }

  private void expect(State expected) {
    if (state != expected) {
      throw new IllegalStateException("expected state " + expected + " but was " + state);
    }
  }

  /** One reply; an error reply counts towards the limit, and the one that reaches it ends the session. */
  private List<Effect> send(Reply reply) {
    if (reply.code() < 400) {
      return List.of(new Effect.Send(reply));
    }
    errors++;
    if (errors < settings.maxErrors()) {
      return List.of(new Effect.Send(reply));
    }
    state = State.CLOSED;
    return List.of(new Effect.Send(reply),
        new Effect.Send(Reply.of(421, "4.7.0", settings.hostname() + " Error: too many errors")), new Effect.Close());
  }
}
