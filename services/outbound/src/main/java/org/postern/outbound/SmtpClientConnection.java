package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.postern.smtp.Reply;

/**
 * The client end of one SMTP connection: sends command lines and hands out the server's replies
 * in order, each within a deadline. A timeout, the peer closing, or a protocol error breaks the
 * connection: the pending read and every later one fail, and the socket is closed.
 *
 * <p>Not thread-safe: use it from the event loop that owns the socket.
 */
final class SmtpClientConnection {

  /** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; leave room for sloppy servers. */
  private static final int MAX_LINE = 4096;
  /** Replies nobody asked for yet; more than this is a server talking to itself. */
  private static final int MAX_QUEUED = 16;
  /** QUIT is a courtesy: the delivery is decided by then, so do not wait long for the 221. */
  private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final NetSocket socket;
  private final long timeoutMillis;
  private final ArrayDeque<Reply> queued = new ArrayDeque<>();
  private RecordParser parser;
  private ReplyReader reader;
  private Promise<Reply> waiting;
  /** A content write waiting for the socket to drain. */
  private Promise<Void> draining;
  private long timer = -1;
  private Throwable broken;
  /** Replies to pipelined commands not yet handed out: they may queue up beyond MAX_QUEUED. */
  private int expected;
  private Runnable onClose = () -> {};

  SmtpClientConnection(Vertx vertx, NetSocket socket, Duration commandTimeout) {
    this.vertx = vertx;
    this.socket = socket;
    this.timeoutMillis = commandTimeout.toMillis();
    socket.closeHandler(v -> {
      fail(new SmtpConnectionException(SmtpConnectionException.Kind.CLOSED, "connection closed by the peer"));
      Runnable r = onClose;
      onClose = () -> {};
      r.run();
    });
    socket.exceptionHandler(t -> fail(new SmtpConnectionException(SmtpConnectionException.Kind.CLOSED,
        Replies.reason(t))));
    installParser();
  }

  /** The next reply, e.g. the greeting. */
  Future<Reply> read() {
    return read(timeoutMillis, "a reply");
  }

  /** Sends {@code line} (without CRLF) and returns the reply to it. */
  Future<Reply> command(String line) {
    return command(line, Duration.ofMillis(timeoutMillis));
  }

  /** Sends {@code line} and returns the reply to it within {@code timeout} instead of the command timeout. */
  Future<Reply> command(String line, Duration timeout) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    socket.write(Buffer.buffer(line + "\r\n", StandardCharsets.UTF_8.name())).onFailure(this::fail);
    return read(timeout.toMillis(), "the reply to " + verb(line));
  }

  /**
   * Sends {@code lines} in one write (RFC 2920 PIPELINING) and returns their replies in order. The
   * replies are still read one by one, each within the command timeout.
   */
  Future<List<Reply>> pipeline(List<String> lines) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    send(lines);
    List<Reply> replies = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String line : lines) {
      chain = chain.compose(v -> replyTo(line).map(r -> {
        replies.add(r);
        return null;
      }));
    }
    return chain.map(v -> replies);
  }

  /**
   * Sends {@code lines} in one write (RFC 2920 PIPELINING) without waiting for a reply: each is
   * then read in order with {@link #replyTo}. A failed write breaks the connection.
   */
  void send(List<String> lines) {
    if (broken != null) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l).append("\r\n"));
    expected += lines.size();
    socket.write(Buffer.buffer(sb.toString(), StandardCharsets.UTF_8.name())).onFailure(this::fail);
  }

  /** The reply to {@code line}, one of those {@link #send} sent, within the command timeout. */
  Future<Reply> replyTo(String line) {
    return read(timeoutMillis, "the reply to " + verb(line)).map(r -> {
      expected--;
      return r;
    });
  }

  /** Runs {@code r} once, when the socket has closed (for whatever reason). */
  void onClose(Runnable r) {
    this.onClose = r;
  }

  /** Whether the connection can still carry commands. */
  boolean usable() {
    return broken == null;
  }

  /** Sends {@code data} (a command line with its CRLF, and content) and returns the reply. */
  Future<Reply> command(Buffer data, String verb) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    socket.write(data).onFailure(this::fail);
    return read(timeoutMillis, "the reply to " + verb);
  }

  /** Sends raw bytes (the DATA section); a failed write breaks the connection. */
  void write(Buffer data) {
    if (broken == null) {
      socket.write(data).onFailure(this::fail);
    }
  }

  /**
   * Sends a piece of the content and completes once the socket can take the next: at once while
   * its write queue has room, else once this piece has gone to the kernel. A server that stops
   * reading for the command timeout breaks the connection, so a body is never buffered whole in
   * memory waiting for it.
   */
  Future<Void> writePiece(Buffer data) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    Future<Void> written = socket.write(data);
    written.onFailure(this::fail);
    if (!socket.writeQueueFull()) {
      return Future.succeededFuture();
    }
    // The queue is full: once this piece has gone to the kernel, so has everything before it.
    Promise<Void> drained = Promise.promise();
    draining = drained;
    long stalled = vertx.setTimer(timeoutMillis, id -> fail(new SmtpConnectionException(
        SmtpConnectionException.Kind.TIMEOUT, "the server took no data for " + timeoutMillis / 1000 + " s")));
    written.onComplete(ar -> {
      vertx.cancelTimer(stalled);
      draining = null;
      drained.tryComplete();
    });
    return drained.future();
  }

  /**
   * Starts TLS after the server's 220 to STARTTLS. Whatever the server sent after that 220 and
   * before the handshake was not protected, so it is dropped (RFC 3207 §4.2; CVE-2021-38371-style
   * response injection); so is anything decoded before the handshake completed.
   */
  Future<SSLSession> startTls(SSLOptions options, String serverName, Duration timeout) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    discardBuffered();
    return socket.upgradeToSsl(options, serverName)
        // Vert.x bounds the handshake with the options' timeout; this is a backstop so a stuck
        // upgrade can never hold the delivery forever.
        .timeout(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)
        .compose(v -> {
          discardBuffered();
          SSLSession session = socket.sslSession();
          return session == null
              ? Future.failedFuture(new SmtpProtocolException("no TLS session after the handshake"))
              : Future.succeededFuture(session);
        })
        .onFailure(this::fail);
  }

  /** Closes at once, without QUIT: for a connection that is out of step (in the middle of a DATA). */
  void discard(String why) {
    fail(new SmtpConnectionException(SmtpConnectionException.Kind.CLOSED, why));
  }

  /** Says QUIT, waits briefly for the answer, then closes; never fails. */
  Future<Void> quit() {
    if (broken != null) {
      return close();
    }
    socket.write("QUIT\r\n");
    return read(QUIT_TIMEOUT.toMillis(), "the reply to QUIT").transform(ar -> close());
  }

  Future<Void> close() {
    return socket.close().recover(t -> Future.succeededFuture());
  }

  private Future<Reply> read(long millis, String what) {
    if (!queued.isEmpty()) {
      return Future.succeededFuture(queued.poll());
    }
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    if (waiting != null) {
      return Future.failedFuture(new IllegalStateException("a read is already pending"));
    }
    Promise<Reply> p = Promise.promise();
    waiting = p;
    timer = vertx.setTimer(millis, id -> fail(new SmtpConnectionException(SmtpConnectionException.Kind.TIMEOUT,
        "no " + what + " within " + millis + " ms")));
    return p.future();
  }

  /** A fresh parser and reader: bytes and partial replies held by the old ones are gone. */
  private void discardBuffered() {
    queued.clear();
    installParser();
  }

  private void installParser() {
    reader = new ReplyReader();
    RecordParser p = RecordParser.newDelimited("\r\n");
    p.maxRecordSize(MAX_LINE);
    p.exceptionHandler(t -> fail(new SmtpProtocolException("reply line longer than " + MAX_LINE + " octets")));
    // A parser that was replaced may still be looping over the rest of a buffer it was handed
    // (the 220 and injected lines in one TCP segment): its lines must not reach the new reader.
    p.handler(line -> {
      if (parser == p) {
        onLine(line);
      }
    });
    parser = p;
    socket.handler(p);
  }

  private void onLine(Buffer line) {
    if (broken != null) {
      return;
    }
    Optional<Reply> reply;
    try {
      reply = reader.accept(line.toString(StandardCharsets.UTF_8));
    } catch (SmtpProtocolException e) {
      fail(e);
      return;
    }
    reply.ifPresent(this::deliver);
  }

  private void deliver(Reply reply) {
    if (waiting != null) {
      Promise<Reply> p = waiting;
      waiting = null;
      vertx.cancelTimer(timer);
      p.complete(reply);
    } else if (queued.size() >= MAX_QUEUED + expected) {
      fail(new SmtpProtocolException("more than " + MAX_QUEUED + " replies nobody asked for"));
    } else {
      queued.add(reply);
    }
  }

  private void fail(Throwable t) {
    if (broken != null) {
      return;
    }
    broken = t;
    vertx.cancelTimer(timer);
    if (waiting != null) {
      Promise<Reply> p = waiting;
      waiting = null;
      p.fail(t);
    }
    if (draining != null) {
      Promise<Void> p = draining;
      draining = null;
      p.tryFail(t);
    }
    socket.close();
  }

  /** The command word(s) for messages; addresses stay out of error texts. */
  private static String verb(String line) {
    String upper = line.toUpperCase(Locale.ROOT);
    for (String v : new String[] {"MAIL FROM", "RCPT TO"}) {
      if (upper.startsWith(v)) {
        return v;
      }
    }
    int sp = line.indexOf(' ');
    return sp < 0 ? line : line.substring(0, sp);
  }
}
