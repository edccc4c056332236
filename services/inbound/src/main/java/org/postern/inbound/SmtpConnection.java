package org.postern.inbound;

import io.netty.handler.ssl.OpenSslSession;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.postern.bus.ClientInfo;
import org.postern.bus.Contracts;
import org.postern.bus.Decision;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.QueueIds;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
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
import org.postern.tls.SessionFacts;

/**
 * One client connection: socket → {@link RecordParser} (CRLF lines) → {@link SmtpSession} →
 * replies and effects. Lines are processed strictly in order; while an effect awaits an answer
 * (policy, queue, handshake), later lines wait in {@link #pending}, which is how pipelined
 * commands (RFC 2920) keep their order.
 */
final class SmtpConnection {

  private static final Logger LOG = Logger.getLogger("postern.inbound");
  /** RFC 5321 §4.5.3.1.4: 512 octets per command line, CRLF included. */
  static final int MAX_COMMAND_LINE = 510;
  /** Longest record the parser buffers; longer input is a protocol violation, not a line. */
  private static final int MAX_RECORD = 64 * 1024;
  private static final AtomicBoolean ENGINE_REPORTED = new AtomicBoolean();

  private final Vertx vertx;
  private final NetSocket socket;
  private final Listener listener;
  private final InboundVerticle.InboundContext ctx;
  private final String clientIp;
  private final ArrayDeque<Buffer> pending = new ArrayDeque<>();
  private SmtpSession session;
  private DataReader data;
  private boolean busy;
  private boolean closed;
  /** Set from the STARTTLS line until the handshake completes: input in between is dropped. */
  private boolean discarding;
  private long idleTimer;

  SmtpConnection(Vertx vertx, NetSocket socket, Listener listener, InboundVerticle.InboundContext ctx) {
    this.vertx = vertx;
    this.socket = socket;
    this.listener = listener;
    this.ctx = ctx;
    this.clientIp = socket.remoteAddress().hostAddress();
  }

  void start() {
    LOG.fine(() -> "connect from [" + clientIp + "]");
    socket.closeHandler(v -> {
      closed = true;
      vertx.cancelTimer(idleTimer);
      LOG.fine(() -> "disconnect from [" + clientIp + "]");
    });
    socket.exceptionHandler(e -> LOG.fine(() -> "[" + clientIp + "]: " + e.getMessage()));
    installParser();
    busy = true; // no command is processed before the greeting
    Contracts.request(vertx, SessionCheck.ADDRESS,
            new SessionCheck(clientIp, listener.tls() == Listener.Tls.REQUIRED), ctx.policyTimeout(),
            SessionPolicy.class)
        .onSuccess(this::open)
        .onFailure(e -> {
          LOG.warning(() -> "policy unavailable at connect from [" + clientIp + "]: " + e.getMessage());
          write(Reply.of(421, "4.3.0", ctx.hostname() + " Service temporarily unavailable"));
          socket.close();
        });
  }

  private void open(SessionPolicy policy) {
    if (policy.decision() != Decision.ACCEPT) {
      LOG.info(() -> "reject: connect from [" + clientIp + "]: " + policy.reply() + "; rule=" + policy.rule());
      write(policy.reply());
      socket.close();
      return;
    }
    boolean tlsOffered = listener.tls() != Listener.Tls.NONE;
    SessionSettings settings = new SessionSettings(ctx.hostname(), ctx.config().maxMessageSize(),
        ctx.config().maxRecipients(), tlsOffered && ctx.serverTls() != null, policy.requireTls());
    session = new SmtpSession(settings, false);
    busy = false;
    run(session.greet());
  }

  private void installParser() {
    RecordParser parser = RecordParser.newDelimited("\r\n", this::line);
    parser.maxRecordSize(MAX_RECORD);
    parser.exceptionHandler(e -> {
      write(Reply.of(500, "5.5.2", "Error: line too long"));
      socket.close();
    });
    socket.handler(parser);
    touch();
  }

  private void line(Buffer line) {
    if (discarding || closed) {
      return;
    }
    touch();
    pending.add(line);
    pump();
  }

  /** Processes queued lines until one needs an asynchronous answer. */
  private void pump() {
    while (!busy && !closed && !pending.isEmpty()) {
      Buffer line = pending.poll();
      if (data != null) {
        if (data.line(line.getBytes())) {
          DataReader finished = data;
          data = null;
          run(session.messageRead(finished));
        }
        continue;
      }
      if (line.length() > MAX_COMMAND_LINE) {
        write(Reply.of(500, "5.5.2", "Error: line too long"));
        continue;
      }
      Command command = CommandParser.parse(line.toString(StandardCharsets.ISO_8859_1));
      run(session.command(command));
    }
  }

  private void run(List<Effect> effects) {
    for (Effect e : effects) {
      if (e instanceof Effect.Send s) {
        write(s.reply());
      } else if (e instanceof Effect.ReadData r) {
        data = new DataReader(r.maxSize());
      } else if (e instanceof Effect.CheckRecipient c) {
        checkRecipient(c);
      } else if (e instanceof Effect.Enqueue q) {
        enqueue(q);
      } else if (e instanceof Effect.StartTls t) {
        startTls(t.ready());
      } else if (e instanceof Effect.Close) {
        closed = true;
        socket.end();
      }
    }
  }

  private void checkRecipient(Effect.CheckRecipient c) {
    busy = true;
    RelayCheck q = new RelayCheck(clientIp, session.helo(), session.tlsFacts(), c.sender(), c.recipient());
    Contracts.request(vertx, RelayCheck.ADDRESS, q, ctx.policyTimeout(), RelayVerdict.class)
        .map(RelayVerdict::reply)
        .otherwise(e -> {
          LOG.warning(() -> "policy unavailable for RCPT from [" + clientIp + "]: " + e.getMessage());
          return Reply.of(451, "4.3.0", c.recipient() + ": Temporary lookup failure");
        })
        .onSuccess(reply -> resume(session.recipientDecided(c.recipient(), reply)));
  }

  private void enqueue(Effect.Enqueue q) {
    busy = true;
    String queueId = QueueIds.next();
    String header = ReceivedHeader.format(session.helo(), null, clientIp, session.tlsFacts(), false,
        ctx.hostname(), session.protocol(), queueId, q.envelope().recipients(), ZonedDateTime.now(ctx.clock()));
    Buffer body = Buffer.buffer(header).appendBytes(q.body());
    ClientInfo client = new ClientInfo(clientIp, session.helo(), session.protocol(), session.tlsFacts());
    EnqueueRequest req = new EnqueueRequest(queueId, q.envelope(), client, body);
    Contracts.request(vertx, EnqueueRequest.ADDRESS, req, ctx.config().queueTimeout(), EnqueueReceipt.class)
        .onSuccess(receipt -> {
          LOG.info(() -> queueId + ": client=[" + clientIp + "], from=" + q.envelope().sender()
              + ", nrcpt=" + q.envelope().recipients().size() + ", size=" + body.length());
          resume(session.queued(receipt.queueId()));
        })
        .onFailure(e -> {
          LOG.warning(() -> queueId + ": queue did not confirm: " + e.getMessage());
          resume(session.queueFailed(Reply.of(451, "4.3.0", "Error: queue file write error")));
        });
  }

  private void startTls(Reply ready) {
    busy = true;
    discarding = true;
    pending.clear();
    // The 220 is written by upgradeToSsl once the TLS handler is in place, so the client's
    // ClientHello can never be read as plaintext.
    socket.upgradeToSsl(ctx.serverTls(), null, Buffer.buffer(ready.toWire()))
        .onSuccess(v -> {
          TlsFacts facts = SessionFacts.of(socket.sslSession(), Verify.NOT);
          LOG.info(() -> StartTlsLogLine.format(StartTlsLogLine.Role.SERVER, null, clientIp, facts));
          reportEngineOnce();
          discarding = false;
          installParser();
          resume(session.tlsStarted(facts));
        })
        .onFailure(e -> {
          LOG.info(() -> "STARTTLS=server, error: accept failed, relay=[" + clientIp + "]: " + e.getMessage());
          run(session.tlsFailed());
          socket.close();
        });
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
    run(effects);
    pump();
  }

  private void write(Reply reply) {
    if (!closed) {
      socket.write(reply.toWire());
    }
  }

  /** Restarts the idle timer: RFC 5321 §4.5.3.2 gives a client 5 minutes per command. */
  private void touch() {
    vertx.cancelTimer(idleTimer);
    Duration timeout = data != null ? ctx.config().commandTimeout().multipliedBy(2) : ctx.config().commandTimeout();
    idleTimer = vertx.setTimer(timeout.toMillis(), t -> {
      if (!closed && !busy) {
        write(Reply.of(421, "4.4.2", ctx.hostname() + " Error: timeout exceeded"));
        closed = true;
        socket.close();
      }
    });
  }
}
