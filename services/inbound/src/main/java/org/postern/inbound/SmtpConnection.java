package org.postern.inbound;

import io.netty.handler.ssl.OpenSslSession;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.postern.bus.ClientInfo;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Contracts;
import org.postern.bus.Decision;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.MailCheck;
import org.postern.bus.QueueIds;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.bus.SpaceReservation;
import org.postern.config.Listener;
import org.postern.smtp.Command;
import org.postern.smtp.CommandParser;
import org.postern.smtp.DataReader;
import org.postern.smtp.Effect;
import org.postern.smtp.ReceivedHeader;
import org.postern.smtp.Reply;
import org.postern.smtp.SessionSettings;
import org.postern.smtp.SmtpSession;
import org.postern.smtp.StartTlsLogLine;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;
import org.postern.smtp.Xclient;
import org.postern.tls.SessionFacts;

/**
 * One client connection: socket → {@link RecordParser} → {@link SmtpSession} → replies and
 * effects.
 *
 * <p>Each record is handled as the parser emits it. While an effect awaits an answer (policy,
 * queue, password check), the parser and the socket are paused, so later input waits unparsed: a
 * pipelined BDAT chunk is still raw bytes when the parser switches to fixed-size mode for it, and
 * the TCP window, not our memory, holds what a fast client sends ahead.
 */
final class SmtpConnection {

  private static final Logger LOG = Logger.getLogger("postern.inbound");
  /** Postfix's cleanup logs the Message-ID; so do we, under its program name. */
  private static final Logger CLEANUP = Logger.getLogger("postern.cleanup");
  /** RFC 5321 §4.5.3.1.4: 512 octets per command line, CRLF included. */
  static final int MAX_COMMAND_LINE = 510;
  /** Input without a line end that is refused: 64 KiB is a protocol violation, not a line. */
  private static final int MAX_RECORD = 64 * 1024;
  /** BDAT chunks are read in pieces of at most this size, so a large chunk is never buffered whole. */
  private static final int CHUNK_PIECE = 64 * 1024;
  private static final AtomicBoolean ENGINE_REPORTED = new AtomicBoolean();
  static final Reply SYNC_ERROR = Reply.of(554, "5.5.0", "Error: SMTP protocol synchronization");

  private final Vertx vertx;
  private final NetSocket socket;
  private final Listener listener;
  /** This listener's STARTTLS options, or null when STARTTLS is off or no certificate is usable. */
  private ServerSSLOptions serverTls;
  /** The same without a certificate request, for a client whose Srv_Features say V; null with serverTls. */
  private final ServerSSLOptions serverTlsNoCert;
  /** Whether this client is asked for a certificate: the listener's mode, unless Srv_Features say V. */
  private Listener.ClientCerts clientCerts;
  private final InboundContext ctx;
  private final ConnectionLimits limits;
  /** The socket's peer, or the client a trusted load balancer's PROXY header names. */
  private String clientIp;
  /**
   * While a proxy=v1/v2 listener waits for the PROXY header: the octets so far (bounded by
   * ProxyHeader's maximum, since the header is judged on each arrival); null otherwise.
   */
  private Buffer proxyInput;
  private long proxyDeadline;
  /**
   * Heads every line about this session, as the queue id heads every line about a message, so
   * that grep finds the whole session; the client= line carries both. Same form as a queue id.
   */
  private final String sessionId = QueueIds.next();
  private final CommandCounts commands = new CommandCounts();
  /** The client's forward-confirmed host name once looked up at connect; null while unknown. */
  private String clientName;
  private RecordParser parser;
  private SmtpSession session;
  private DataReader data;
  private long chunkRemaining;
  private boolean busy;
  private boolean closed;
  /**
   * The client has half-closed (sent its FIN): nothing more will come, but the replies to what it
   * sent are still owed; the connection closes once they are written.
   */
  private boolean inputEnded;
  /** Set from the STARTTLS line until the handshake completes: input in between is dropped. */
  private boolean discarding;
  /** Octets received and octets consumed by handled records: more received means the client ran ahead. */
  private long received;
  private long consumed;
  private long lastActivity;
  private long dataStarted;
  private long dataOctets;
  /** The verb of the command being answered, for the rejection counts; CONNECT before the first. */
  private String answering = "CONNECT";
  /**
   * When the message text under way (DATA or BDAT) must be complete unless more arrives
   * (inbound.min_data_rate): Postfix's per-request deadline. It starts one command timeout ahead,
   * each octet received moves it 1/rate s later, and it never lies more than one command timeout
   * ahead. A client that waits before sending (its own load, the network, or this node being slow
   * to read) loses nothing; one that trickles runs out.
   */
  private long dataDeadline;
  /** Whether the last sweep found the listener under stress: the command timeout to use. */
  private boolean stressed;
  /** The last MAIL's SIZE parameter, 0 without one. */
  private long declaredSize;
  /** Room in the spool held for the transaction under way (queue.min_free_space); null when none. */
  private SpaceReservation space;
  /** Set when the node stops: the reply every further command gets. */
  private Reply stopping;

  SmtpConnection(Vertx vertx, NetSocket socket, Listener listener, ServerSSLOptions serverTls,
      ServerSSLOptions serverTlsNoCert, InboundContext ctx, ConnectionLimits limits) {
    this.vertx = vertx;
    this.socket = socket;
    this.listener = listener;
    this.serverTls = serverTls;
    this.serverTlsNoCert = serverTlsNoCert;
    this.clientCerts = listener.clientCerts();
    this.ctx = ctx;
    this.limits = limits;
    this.clientIp = socket.remoteAddress().hostAddress();
  }

  String clientIp() {
    return clientIp;
  }

  /**
   * Starts the session, or on a proxy=v1/v2 listener waits for the PROXY header first; returns
   * false when the connection was refused at once (the socket is then closing).
   */
  boolean start() {
    return listener.proxy() == Listener.Proxy.NONE ? begin() : awaitProxyHeader();
  }

  /**
   * The load balancer speaks first: nothing is sent until its header names the client, and only
   * inbound.proxy_networks may name one (anyone else could claim any address and walk past the
   * access map). The sweep enforces inbound.proxy_timeout.
   */
  private boolean awaitProxyHeader() {
    String balancer = clientIp;
    if (!ctx.config().trustsProxyHeaderFrom(balancer)) {
      LOG.warning(() -> sessionId + ": reject: connect from " + balancer + " to listener " + listener
          + ": not a load balancer in inbound.proxy_networks");
      socket.close();
      return false;
    }
    proxyInput = Buffer.buffer();
    proxyDeadline = ctx.clock().millis() + ctx.config().proxyTimeout().toMillis();
    socket.closeHandler(v -> closed = true);
    socket.exceptionHandler(e -> LOG.fine(() -> sessionId + ": " + balancer + ": " + e.getMessage()));
    socket.handler(b -> {
      if (proxyInput != null && !closed) {
        proxyInput.appendBuffer(b);
        proxyHeader(balancer);
      }
    });
    return true;
  }

  private void proxyHeader(String balancer) {
    byte[] in = proxyInput.getBytes();
    ProxyHeader.Result r = ProxyHeader.parse(in, in.length, listener.proxy());
    if (r instanceof ProxyHeader.Invalid bad) {
      LOG.warning(() -> sessionId + ": reject: connect from " + balancer + " to listener " + listener + ": " + bad.reason());
      close();
    } else if (r instanceof ProxyHeader.Parsed p) {
      Buffer rest = proxyInput.getBuffer(p.length(), proxyInput.length());
      proxyInput = null;
      if (p.source() != null) {
        clientIp = p.source().ip();
      }
      LOG.info(() -> sessionId + ": connect from " + clientIp + (p.source() == null ? "" : " port " + p.source().port())
          + " via load balancer " + balancer + " (PROXY " + listener.proxy().name().toLowerCase(java.util.Locale.ROOT)
          + " " + p.command() + (p.ssl() == null ? "" : ", client TLS: " + p.ssl().describe()) + ")");
      if (begin() && rest.length() > 0) {
        // SMTP sent behind the header, before any greeting: the parser holds it, and open()
        // refuses a client that talked first.
        received += rest.length();
        parser.handle(rest);
      }
    }
  }

  private boolean begin() {
    String over = limits.admit(clientIp, ctx.clock().millis());
    if (over != null) {
      LOG.info(() -> sessionId + ": reject: CONNECT from " + client() + ": " + over + "; proto=SMTP");
      Reply refusal = Reply.of(421, "4.7.0", ctx.hostname() + " Error: " + over);
      ctx.metrics().refusedByLimit();
      ctx.metrics().rejected(answering, refusal);
      socket.write(refusal.toWire());
      socket.close();
      return false;
    }
    ctx.metrics().accepted();
    // Counted against the address admitted, whatever XCLIENT says later.
    String admitted = clientIp;
    socket.closeHandler(v -> {
      ctx.metrics().closed();
      closed = true;
      limits.release(admitted);
      releaseSpace();
      if (session != null) {
        session.end();
      }
      LOG.info(() -> sessionId + ": disconnect from " + client() + " " + commands.summary());
    });
    socket.exceptionHandler(e -> LOG.fine(() -> sessionId + ": " + client() + ": " + e.getMessage()));
    InputEnd.watch(socket, this::inputEnded);
    // Vert.x calls this for a listener's shutdown (with a grace period) and for every close (with
    // none); a close must go on, since with a handler set Vert.x leaves closing to it.
    socket.shutdownHandler(grace -> {
      if (grace.isZero()) {
        socket.close();
      } else {
        shutDown();
      }
    });
    installParser();
    // No command is processed before the greeting. Only the parser waits: the socket keeps
    // reading, so that a client talking before the greeting is seen (and bounded by the
    // policy deadline, a few seconds at most).
    busy = true;
    parser.pause();
    touch();
    // The name first (as Postfix's smtpd does): Connect: and TLS_Clt: host keys need it. A failed
    // lookup answers null at once, so a client without a PTR record waits for nothing.
    ClientNames.of(vertx, ctx.config()).lookup(clientIp)
        .compose(name -> {
          clientName = name;
          LOG.info(() -> sessionId + ": connect from " + client());
          return ctx.policy().session(new SessionCheck(clientIp, name, listener.tls() == Listener.Tls.REQUIRED));
        })
        .onSuccess(this::open)
        .onFailure(e -> {
          LOG.warning(() -> sessionId + ": policy unavailable at connect from " + client() + ": " + e.getMessage());
          write(Reply.of(421, "4.3.0", ctx.hostname() + " Service temporarily unavailable"));
          close();
        });
    return true;
  }

  private void open(SessionPolicy policy) {
    if (closed) {
      return;
    }
    if (stopping != null) {
      write(stopping);
      close();
      return;
    }
    if (policy.decision() != Decision.ACCEPT) {
      LOG.info(() -> sessionId + ": reject: CONNECT from " + client() + ": " + policy.reply() + "; proto=SMTP rule="
          + policy.rule());
      write(policy.reply());
      close();
      return;
    }
    if (received > 0) {
      // RFC 5321 §4.3.1: the client must wait for the greeting. Talking first is what spambots do.
      LOG.info(() -> sessionId + ": reject: CONNECT from " + client() + ": " + SYNC_ERROR
          + "; sent commands before the greeting; proto=SMTP");
      write(SYNC_ERROR);
      close();
      return;
    }
    boolean listenerOffersTls = serverTls != null;
    applyFeatures(policy);
    boolean tlsOffered = serverTls != null;
    // inbound.client_limit_exceptions: an application server on a trusted network is not cut off
    // by the error limit meant for strangers.
    int maxErrors = ctx.config().exemptFromClientLimits(clientIp) ? Integer.MAX_VALUE : ctx.config().maxErrors();
    SessionSettings settings = new SessionSettings(ctx.hostname(), ctx.config().maxMessageSize(),
        ctx.config().maxRecipients(), tlsOffered, policy.requireTls(), tlsOffered && ctx.authUsers() != null,
        maxErrors, org.postern.smtp.Path.parseMailbox(ctx.config().postmaster(ctx.hostname())));
    session = new SmtpSession(settings, false, ctx.bodyMemory().lease());
    if (listenerOffersTls && !tlsOffered) {
      session.withholdTls();
    }
    if (ctx.config().allowsXclientFrom(clientIp)) {
      session.allowXclient();
    }
    run(session.greet());
    resumeInput();
  }

  /**
   * sendmail's Srv_Features for this client: S withdraws STARTTLS (EHLO omits it, STARTTLS gets
   * sendmail's 503 5.5.0), V a ccert=request listener's certificate request, chosen before any handshake. A
   * ccert=require listener keeps asking: its requirement is the operator's, per listener.
   */
  private void applyFeatures(SessionPolicy policy) {
    if (!policy.offerTls()) {
      serverTls = null;
    } else if (!policy.requestClientCert() && serverTls != null && clientCerts == Listener.ClientCerts.REQUEST) {
      serverTls = serverTlsNoCert;
      clientCerts = Listener.ClientCerts.NONE;
    }
    if (policy.featuresRule() != null) {
      LOG.fine(() -> sessionId + ": " + client() + ": STARTTLS " + (serverTls == null ? "not offered" : "offered") + ", certificate "
          + (clientCerts == Listener.ClientCerts.NONE ? "not requested" : "requested") + "; rule=" + policy.featuresRule());
    }
  }

  private void installParser() {
    parser = RecordParser.newDelimited("\r\n");
    // The parser refuses a record longer than this, so MAX_RECORD octets without a line end are one too many.
    parser.maxRecordSize(MAX_RECORD - 1);
    parser.handler(this::record);
    parser.exceptionHandler(e -> {
      write(Reply.of(500, "5.5.2", "Error: line too long"));
      close();
    });
    RecordParser current = parser;
    socket.handler(b -> {
      if (received == 0 && session == null) {
        LOG.fine(() -> sessionId + ": " + client() + " talks before the greeting");
      }
      received += b.length();
      current.handle(b);
    });
  }

  private void record(Buffer rec) {
    if (closed || discarding) {
      return;
    }
    touch();
    if (chunkRemaining > 0) {
      consumed += rec.length();
      chunk(rec);
      return;
    }
    consumed += rec.length() + 2;
    if (data != null) {
      credit(rec.length() + 2);
      if (data.line(rec.getBytes())) {
        DataReader finished = data;
        data = null;
        run(session.messageRead(finished));
      }
      return;
    }
    if (rec.length() > MAX_COMMAND_LINE) {
      commands.sent("unknown");
      run(session.reject(Reply.of(500, "5.5.2", "Error: line too long")));
      return;
    }
    // Malformed UTF-8 becomes U+FFFD, which the parser refuses.
    String line = rec.toString(StandardCharsets.UTF_8);
    if (session.state() == SmtpSession.State.AUTH) {
      answering = "AUTH";
      run(session.authResponse(line));
      return;
    }
    Command command = CommandParser.parse(line);
    commands.sent(command instanceof Command.Unknown ? "unknown" : command.verb());
    // An unknown verb is the client's text: it must not become a series of its own.
    answering = command instanceof Command.Unknown ? "UNKNOWN" : command.verb();
    if (command instanceof Command.Mail mail) {
      declaredSize = declaredSize(mail);
    } else if (command instanceof Command.Rset) {
      releaseSpace();
    }
    if ((command instanceof Command.Ehlo || command instanceof Command.Helo) && received > consumed) {
      // RFC 2920 §3.1: EHLO ends a command group; a client that does not wait for its reply is
      // not pipelining, it is ignoring the dialogue (Postfix's smtpd_forbid_unauth_pipelining).
      LOG.info(() -> sessionId + ": reject: " + command.verb() + " from " + client() + ": " + SYNC_ERROR
          + "; sent commands before the " + command.verb() + " reply; proto=SMTP");
      write(SYNC_ERROR);
      close();
      return;
    }
    run(session.command(command));
  }

  private void chunk(Buffer piece) {
    chunkRemaining -= piece.length();
    credit(piece.length());
    session.chunkData(piece.getBytes());
    if (chunkRemaining > 0) {
      parser.fixedSizeMode((int) Math.min(chunkRemaining, CHUNK_PIECE));
      return;
    }
    parser.delimitedMode("\r\n");
    dataStarted = 0;
    run(session.chunkEnd());
  }

  private void run(List<Effect> effects) {
    for (Effect e : effects) {
      if (closed) {
        return;
      }
      if (e instanceof Effect.Send s) {
        write(s.reply());
      } else if (e instanceof Effect.ReadData r) {
        data = new DataReader(r.maxSize(), session.memory());
        startDataClock();
      } else if (e instanceof Effect.ReadChunk r) {
        readChunk(r.size());
      } else if (e instanceof Effect.CheckSender c) {
        checkSender(c);
      } else if (e instanceof Effect.CheckRecipient c) {
        checkRecipient(c);
      } else if (e instanceof Effect.CheckCredentials c) {
        checkCredentials(c);
      } else if (e instanceof Effect.Enqueue q) {
        enqueue(q);
      } else if (e instanceof Effect.CheckClient c) {
        checkClient(c.attributes());
      } else if (e instanceof Effect.StartTls t) {
        startTls(t.ready());
      } else if (e instanceof Effect.Close) {
        close();
      }
    }
  }

  private void readChunk(long size) {
    if (size == 0) {
      run(session.chunkEnd());
      return;
    }
    chunkRemaining = size;
    startDataClock();
    parser.fixedSizeMode((int) Math.min(size, CHUNK_PIECE));
  }

  private void checkRecipient(Effect.CheckRecipient c) {
    pauseInput();
    RelayCheck q = new RelayCheck(clientIp, clientName, session.helo(), session.tlsFacts(), session.authUser(), c.sender(),
        c.recipient());
    ctx.policy().relay(q)
        .map(v -> {
          if (v.decision() != Decision.ACCEPT) {
            LOG.info(() -> sessionId + ": reject: RCPT from " + client() + ": " + v.reply() + "; from=" + c.sender()
                + " to=" + c.recipient() + " " + protoHelo() + " rule=" + v.rule());
          }
          return v.reply();
        })
        .otherwise(e -> {
          LOG.warning(() -> sessionId + ": policy unavailable for RCPT from " + client() + ": " + e.getMessage());
          return Reply.of(451, "4.3.0", c.recipient() + ": Temporary lookup failure");
        })
        .onSuccess(reply -> resume(session.recipientDecided(c.recipient(), reply)));
  }

  /**
   * XCLIENT from a trusted front end: its address and name become the client's for everything
   * that follows, and policy's connect-time question is asked again about them.
   */
  private void checkClient(Xclient.Attributes a) {
    pauseInput();
    String frontEnd = client();
    if (a.addr() != null) {
      String ip = a.addr().isEmpty() ? null : ProxyHeader.literal(a.addr());
      clientIp = ip == null ? "unknown" : ip;
    }
    if (a.name() != null) {
      clientName = a.name().isEmpty() ? null : a.name();
    }
    LOG.info(() -> sessionId + ": xclient: " + frontEnd + " now " + client() + (a.port() == null || a.port().isEmpty() ? ""
        : " port " + a.port()) + (a.helo() == null ? "" : ", helo=" + a.helo()) + (a.proto() == null ? ""
        : ", proto=" + a.proto()) + (a.login() == null ? "" : ", login=" + a.login()));
    ctx.policy().session(new SessionCheck(clientIp, clientName, listener.tls() == Listener.Tls.REQUIRED))
        .map(p -> {
          if (p.decision() == Decision.ACCEPT) {
            return (Reply) null;
          }
          LOG.info(() -> sessionId + ": reject: XCLIENT from " + frontEnd + ": " + client() + ": " + p.reply() + "; rule=" + p.rule());
          return p.reply();
        })
        .otherwise(e -> {
          LOG.warning(() -> sessionId + ": policy unavailable for XCLIENT from " + frontEnd + ": " + e.getMessage());
          return Reply.of(421, "4.3.0", ctx.hostname() + " Service temporarily unavailable");
        })
        .onSuccess(refusal -> resume(session.xclientDecided(refusal)));
  }

  /** sendmail's check_mail: the From: entries of the access map. */
  private void checkSender(Effect.CheckSender c) {
    pauseInput();
    MailCheck q = new MailCheck(clientIp, clientName, session.helo(), session.tlsFacts(), session.authUser(),
        c.sender());
    ctx.policy().sender(q)
        .map(v -> {
          if (v.decision() == Decision.ACCEPT) {
            return (Reply) null;
          }
          // Logged here, once, with the session's id; policy no longer logs its refusals itself.
          LOG.info(() -> sessionId + ": reject: MAIL from " + client() + ": " + v.reply() + "; from=" + c.sender()
              + " " + protoHelo() + " rule=" + v.rule());
          return v.reply();
        })
        .otherwise(e -> {
          LOG.warning(() -> sessionId + ": policy unavailable for MAIL from " + client() + ": " + e.getMessage());
          return Reply.of(451, "4.3.0", c.sender() + ": Temporary lookup failure");
        })
        .compose(refusal -> refusal != null ? Future.succeededFuture(refusal) : reserveSpace())
        .onSuccess(refusal -> resume(session.senderDecided(refusal)));
  }

  /**
   * Room in the spool for the message to come (the SIZE it declared, else an estimate), so that a
   * full spool answers 452 4.3.1 now rather than after the whole text; null when granted.
   */
  private Future<Reply> reserveSpace() {
    releaseSpace();
    long octets = Math.min(declaredSize > 0 ? declaredSize : SpaceReservation.DEFAULT_OCTETS,
        ctx.config().maxMessageSize());
    return ctx.queue().reserve(octets).map(r -> {
      if (closed) {
        ctx.queue().release(r);
      } else {
        space = r;
      }
      return (Reply) null;
    }).otherwise(e -> Contracts.replyOf(e, Reply.of(451, "4.3.0", "Error: queue unavailable")));
  }

  private void releaseSpace() {
    ctx.queue().release(space);
    space = null;
  }

  private static long declaredSize(Command.Mail mail) {
    String size = mail.params().get("SIZE");
    try {
      return size == null ? 0 : Math.max(0, Long.parseLong(size));
    } catch (NumberFormatException e) {
      return 0; // the session refuses it
    }
  }

  private void checkCredentials(Effect.CheckCredentials c) {
    pauseInput();
    vertx.executeBlocking(() -> ctx.authUsers().verify(c.user(), c.password()), false)
        .otherwise(false)
        .onSuccess(ok -> {
          LOG.info(() -> sessionId + ": " + client() + ": AUTH " + c.mechanism() + " " + (ok ? "succeeded" : "failed")
              + " for user=" + c.user());
          resume(session.credentialsChecked(c.user(), ok));
        });
  }

  private void enqueue(Effect.Enqueue q) {
    pauseInput();
    String queueId = QueueIds.next();
    String header = ReceivedHeader.format(session.helo(), clientName, clientIp, session.tlsFacts(),
        clientCerts != Listener.ClientCerts.NONE, ctx.hostname(), session.protocol(), queueId,
        q.envelope().recipients(), ZonedDateTime.now(ctx.clock()));
    Buffer body = Buffer.buffer(header).appendBytes(q.body());
    ClientInfo client = new ClientInfo(clientIp, session.helo(), session.protocol(), session.tlsFacts());
    EnqueueRequest req = new EnqueueRequest(queueId, q.envelope(), client, body);
    // Postfix's smtpd line (client first: pflogsumm counts a received message by it), with the
    // session it came in and what it said; then cleanup's message-id line; both before the
    // queue's own line, in Postfix's order. A refusal by the queue is logged after them.
    LOG.info(() -> queueId + ": client=" + client()
        + (session.authUser() == null ? "" : ", sasl_username=" + session.authUser())
        + ", session=" + sessionId + ", helo=<" + session.helo() + ">, from=" + q.envelope().sender()
        + ", nrcpt=" + q.envelope().recipients().size() + ", size=" + body.length());
    String messageId = MessageIdHeader.of(q.body());
    CLEANUP.info(() -> queueId + ": message-id=" + (messageId == null ? "" : messageId));
    long ended = System.nanoTime();
    ctx.queue().enqueue(req)
        .onComplete(ar -> releaseSpace())
        .onSuccess(receipt -> {
          ctx.metrics().received(System.nanoTime() - ended);
          resume(session.queued(receipt.queueId()));
        })
        .onFailure(e -> {
          LOG.warning(() -> queueId + ": queue did not confirm (session " + sessionId + "): " + e.getMessage());
          resume(session.queueFailed(Contracts.replyOf(e, Reply.of(451, "4.3.0", "Error: queue file write error"))));
        });
  }

  private void startTls(Reply ready) {
    discarding = true;
    commands.replied(ready); // written by upgradeToSsl, not by write()
    // The 220 is written by upgradeToSsl once the TLS handler is in place, so the client's
    // ClientHello can never be read as plaintext.
    socket.upgradeToSsl(serverTls, null, Buffer.buffer(ready.toWire()))
        .onSuccess(v -> {
          TlsFacts facts = SessionFacts.ofClient(socket.sslSession(), clientCerts, ctx.clientCerts());
          ctx.metrics().tls().succeeded(facts.version(), facts.cipher());
          String certificate = StartTlsLogLine.certificate(StartTlsLogLine.Role.SERVER, facts);
          if (certificate != null) {
            LOG.info(() -> sessionId + ": " + certificate);
          }
          // sendmail's line, as the seeds show it, after the session's id as every line of it.
          LOG.info(() -> sessionId + ": " + StartTlsLogLine.format(StartTlsLogLine.Role.SERVER, clientName, clientIp,
              facts));
          reportEngineOnce();
          // A fresh parser: whatever the old one held was sent before the handshake. Input stays
          // paused until policy has judged the TLS.
          installParser();
          consumed = received;
          discarding = false;
          pauseInput();
          judgeTls(facts);
        })
        .onFailure(e -> {
          LOG.info(() -> sessionId + ": STARTTLS=server, error: accept failed, relay=" + client() + ": "
              + e.getMessage());
          ctx.metrics().tls().failed();
          run(session.tlsFailed());
          close();
        });
  }

  /**
   * A listener with {@code ccert=require} refuses a client without a verified certificate itself;
   * otherwise sendmail's tls_client check asks policy whether the TLS is strong enough.
   */
  private void judgeTls(TlsFacts facts) {
    if (listener.clientCerts() == Listener.ClientCerts.REQUIRE && facts.verify() != Verify.OK) {
      // Postfix's answer to smtpd_tls_req_ccert: say why once, then close (a 530 to every command
      // would keep a client that cannot succeed talking).
      String why = facts.verify() == Verify.NO ? "client certificate required"
          : "client certificate not verified: " + replyText(
              ctx.clientCerts().check(SessionFacts.peerChain(socket.sslSession())).reason());
      Reply refusal = Reply.of(421, "4.7.1", ctx.hostname() + " Error: " + why);
      LOG.info(() -> sessionId + ": reject: STARTTLS from " + client() + ": " + refusal + "; verify=" + facts.verify()
          + "; listener " + listener);
      resume(session.tlsStartedButClosing(facts, refusal));
      return;
    }
    ctx.policy().clientTls(new ClientTlsCheck(clientIp, clientName, facts))
        .map(v -> {
          if (v.decision() == Decision.ACCEPT) {
            return (Reply) null;
          }
          LOG.info(() -> sessionId + ": reject: STARTTLS from " + client() + ": " + v.reply() + "; version="
              + facts.version() + " verify=" + facts.verify() + " bits=" + facts.bits() + " rule=" + v.rule());
          return v.reply();
        })
        .otherwise(e -> {
          LOG.warning(() -> sessionId + ": policy unavailable after STARTTLS from " + client() + ": " + e.getMessage());
          return Reply.of(451, "4.3.0", "Temporary policy failure");
        })
        .onSuccess(refusal -> resume(session.tlsStarted(facts, refusal)));
  }

  /** A reason fit for one reply line: printable ASCII, at most 200 characters. */
  private static String replyText(String reason) {
    String t = reason.replaceAll("[^\\x20-\\x7e]", " ").strip();
    return t.isEmpty() ? "verify=FAIL" : t.length() > 200 ? t.substring(0, 200) : t;
  }

  /** Proves at run time, once, which engine performs the handshakes (not just which was asked for). */
  private void reportEngineOnce() {
    if (ENGINE_REPORTED.compareAndSet(false, true)) {
      boolean openssl = socket.sslSession() instanceof OpenSslSession;
      LOG.info(() -> "TLS handshakes are performed by the " + (openssl ? "OpenSSL" : "JDK") + " engine ("
          + socket.sslSession().getClass().getName() + ")");
    }
  }

  private void resume(List<Effect> effects) {
    busy = false;
    touch();
    run(effects);
    if (!busy && !closed && stopping != null) {
      // The answer the session waited for (a 250 once the message is stored) is out; nothing more.
      write(stopping);
      close();
      return;
    }
    if (!busy && !closed) {
      resumeInput();
    }
  }

  private void pauseInput() {
    busy = true;
    parser.pause();
    socket.pause();
  }

  private void resumeInput() {
    busy = false;
    socket.resume();
    parser.resume();
    if (inputEnded) {
      // Queued after whatever the resume hands the parser: only then is all the input handled.
      vertx.runOnContext(v -> finishIfDrained());
    }
  }

  /** The client half-closed: answer what it sent, then close. */
  private void inputEnded() {
    inputEnded = true;
    finishIfDrained();
  }

  /**
   * Closes a half-closed connection once nothing it sent awaits an answer: the session waits for
   * input that can no longer come. An unfinished line or message text is dropped unanswered.
   */
  private void finishIfDrained() {
    if (inputEnded && !busy && !closed) {
      LOG.fine(() -> sessionId + ": lost connection after " + (session == null ? "CONNECT" : session.state()) + " from " + client());
      close();
    }
  }

  /** Postfix's {@code proto=ESMTP helo=<name>} that ends its reject lines. */
  private String protoHelo() {
    return "proto=" + (session.protocol().contains("ESMTP") ? "ESMTP" : "SMTP") + " helo=<"
        + (session.helo() == null ? "" : session.helo()) + ">";
  }

  /** Postfix's {@code name[ip]}, {@code unknown[ip]} while no name is confirmed. */
  private String client() {
    return (clientName == null ? "unknown" : clientName) + "[" + clientIp + "]";
  }

  private void write(Reply reply) {
    if (!closed) {
      commands.replied(reply);
      if (reply.code() >= 400) {
        ctx.metrics().rejected(answering, reply);
      }
      socket.write(reply.toWire());
    }
  }

  private void close() {
    closed = true;
    socket.end();
  }

  private void touch() {
    lastActivity = ctx.clock().millis();
  }

  private void startDataClock() {
    if (dataStarted == 0) {
      dataStarted = ctx.clock().millis();
      dataOctets = 0;
      dataDeadline = dataStarted + currentTimeout().toMillis();
    }
  }

  /** Octets of message text received (just now, as touch() noted): the data deadline moves on. */
  private void credit(long octets) {
    dataOctets += octets;
    long rate = ctx.config().minDataRate();
    if (rate > 0) {
      dataDeadline = Math.min(lastActivity + currentTimeout().toMillis(), dataDeadline + octets * 1000 / rate);
    }
  }

  private Duration currentTimeout() {
    return stressed ? ctx.config().stressCommandTimeout() : ctx.config().commandTimeout();
  }

  /**
   * Called about once a second by the verticle's sweep: the idle timeout (RFC 5321 §4.5.3.2,
   * shorter under stress) and the minimum data rate during DATA and BDAT.
   */
  void tick(long now, boolean stressed) {
    this.stressed = stressed;
    if (proxyInput != null) {
      if (!closed && now >= proxyDeadline) {
        LOG.warning(() -> sessionId + ": reject: connect from " + clientIp + " to listener " + listener + ": no complete PROXY header in "
            + ctx.config().proxyTimeout().toSeconds() + "s (" + proxyInput.length() + " octets)");
        close();
      }
      return;
    }
    if (closed || busy) {
      return; // a paused session waits on us (policy, queue), not on the client
    }
    if (now - lastActivity >= currentTimeout().toMillis()) {
      LOG.info(() -> sessionId + ": timeout after " + (session == null ? "CONNECT" : session.state()) + " from " + client());
      write(Reply.of(421, "4.4.2", ctx.hostname() + " Error: timeout exceeded"));
      close();
      return;
    }
    boolean inData = data != null || chunkRemaining > 0;
    long elapsed = now - dataStarted;
    if (inData && ctx.config().minDataRate() > 0 && now >= dataDeadline) {
      LOG.info(() -> sessionId + ": data rate too low from " + client() + ": " + dataOctets + " octets in " + elapsed + " ms");
      write(Reply.of(421, "4.4.2", ctx.hostname() + " Error: data rate too low"));
      close();
    }
    if (!inData) {
      dataStarted = 0;
    }
  }

  /**
   * The node is stopping (Vert.x calls this when the listener shuts down): a session waiting on
   * an answer (the queue's, after the end of DATA) gets it first, then 421 4.3.2; any other
   * session gets 421 4.3.2 at once (RFC 5321 §3.8), and the connection closes. A message still
   * being received is not acknowledged: the client sends it again later.
   */
  void shutDown() {
    stopping = Reply.of(421, "4.3.2", ctx.hostname() + " Service shutting down, closing transmission channel");
    if (proxyInput != null) {
      close(); // no client named yet: the balancer retries elsewhere
      return;
    }
    if (closed || busy || discarding) {
      return; // resume() or open() answers once the effect (or TLS handshake) in progress is done
    }
    write(stopping);
    close();
  }

  boolean isClosed() {
    return closed;
  }
}
