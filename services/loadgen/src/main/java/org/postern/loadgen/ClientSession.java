package org.postern.loadgen;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.internal.tcnative.SSL;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import javax.net.ssl.SSLSession;

/**
 * One SMTP client session: connect, greeting, EHLO, STARTTLS if this session uses it (exactly 220,
 * anything the server sent after that 220 dropped, then EHLO again), its messages (MAIL, RCPT,
 * DATA, checking every reply), then QUIT, or in hold mode idle until the run ends.
 *
 * <p>Runs on one event loop (its group's) from start to end, so it needs no synchronization. Never
 * pipelines: each command waits for its reply, so every reply is checked against its command.
 */
final class ClientSession {

  /** How long QUIT may take before we just close. */
  private static final long QUIT_TIMEOUT_MS = 5000;

  private final LaneGroup group;
  private final RunState run;
  private final LoadSettings s;
  private final Vertx vertx;
  private final GroupStats stats;
  private final long number;
  private final boolean tls;
  /** The messages this session claimed from the run's pool. */
  private final long claimed;
  private final ReplyReader reader = new ReplyReader();

  private NetSocket socket;
  private Promise<SmtpReply> waiting;
  private long timer = -1;
  private String stage = "connect";
  private RuntimeException broken;
  /** Messages begun (MAIL sent or about to be), and messages finished (accepted or refused). */
  private long started;
  private long sent;
  private long dataStart;
  private boolean slot;
  private boolean setUp;
  private boolean held;
  private boolean settled;
  private boolean aborted;
  private boolean finished;

  ClientSession(LaneGroup group, long number, boolean tls, long claimed) {
    this.group = group;
    this.run = group.run;
    this.s = group.run.settings;
    this.vertx = group.vertx();
    this.stats = group.stats;
    this.number = number;
    this.tls = tls;
    this.claimed = claimed;
  }

  /** Starts the session; the group has given it a set-up slot. */
  void begin() {
    slot = true;
    stats.sessionsStarted++;
    if (tls) {
      stats.tlsSessions++;
    }
    long t0 = System.nanoTime();
    group.client(number).connect(s.target().getPort(), s.target().getAddress().getHostAddress()).onComplete(ar -> {
      if (ar.failed()) {
        finish(ar.cause());
        return;
      }
      socket = ar.result();
      run.opened();
      long now = System.nanoTime();
      if (run.measuring(now)) {
        GroupStats.record(stats.connect, now - t0);
      }
      socket.handler(this::onData);
      socket.exceptionHandler(this::onException);
      socket.closeHandler(v -> onClose());
      if (aborted) {
        finish(new LoadErrors.Aborted());
        return;
      }
      setUp().compose(v -> sendMessages()).onComplete(done -> {
        if (done.failed()) {
          finish(done.cause());
        } else if (s.hold()) {
          hold();
        } else {
          quit();
        }
      });
    });
  }

  private Future<Void> setUp() {
    return expect("greeting", 220)
        .compose(r -> command("EHLO " + s.ehloName(), "EHLO", 250))
        .compose(ehlo -> tls ? startTls(ehlo) : Future.<Void>succeededFuture())
        .map(v -> {
          setUp = true;
          stats.sessionsSetUp++;
          if (run.measuring(System.nanoTime())) {
            stats.measuredSetUp++;
          }
          run.setUp.increment();
          run.activity();
          releaseSlot();
          return null;
        });
  }

  private Future<Void> startTls(SmtpReply ehlo) {
    if (!ehlo.hasExtension("STARTTLS")) {
      return Future.failedFuture(new LoadErrors.NoStartTls());
    }
    return command("STARTTLS", "STARTTLS", 220).compose(r -> {
      // Whatever came after the 220 was not protected: drop it (RFC 3207 §4.2).
      reader.clear();
      stage = "TLS handshake";
      long t0 = System.nanoTime();
      return socket.upgradeToSsl(group.sslOptions()).transform(ar -> {
        if (ar.failed()) {
          stats.handshakesFailed++;
          return Future.failedFuture(ar.cause());
        }
        long now = System.nanoTime();
        if (run.measuring(now)) {
          GroupStats.record(stats.tlsHandshake, now - t0);
          stats.measuredHandshakes++;
        }
        stats.handshakesOk++;
        run.handshakes.increment();
        SSLSession session = socket.sslSession();
        if (session != null) {
          GroupStats.count(stats.tlsVersions, session.getProtocol());
          GroupStats.count(stats.ciphers, session.getCipherSuite());
        }
        Boolean reused = resumed(socket);
        if (reused == null) {
          stats.resumptionUnknown++;
        } else if (reused) {
          stats.resumed++;
        }
        reader.clear();
        return command("EHLO " + s.ehloName(), "EHLO after STARTTLS", 250).<Void>mapEmpty();
      });
    });
  }

  private Future<Void> sendMessages() {
    Promise<Void> p = Promise.promise();
    nextMessage(p);
    return p.future();
  }

  private void nextMessage(Promise<Void> p) {
    if (aborted) {
      p.tryFail(new LoadErrors.Aborted());
      return;
    }
    if (sent >= claimed) {
      p.tryComplete();
      return;
    }
    run.rate.acquire(vertx)
        .compose(v -> {
          if (aborted) {
            return Future.<Void>failedFuture(new LoadErrors.Aborted());
          }
          started++;
          return oneMessage();
        })
        .onComplete(ar -> {
          if (ar.succeeded()) {
            sent++;
            stats.messagesOk++;
            run.messagesOk.increment();
            run.activity();
            nextMessage(p);
          } else if (ar.cause() instanceof LoadErrors.UnexpectedReply r && r.reply.code() != 421 && broken == null) {
            // The message was refused, the session is still usable: count it, RSET, go on.
            sent++;
            stats.messagesFailed++;
            run.messagesFailed.increment();
            stats.error(r);
            command("RSET", "RSET", 250).onComplete(rset -> {
              if (rset.failed()) {
                p.tryFail(rset.cause());
              } else {
                nextMessage(p);
              }
            });
          } else {
            p.tryFail(ar.cause());
          }
        });
  }

  private Future<Void> oneMessage() {
    return command("MAIL FROM:<" + s.mailFrom() + ">", "MAIL", 250)
        .compose(r -> command("RCPT TO:<" + s.rcptTo() + ">", "RCPT", 250, 251))
        .compose(r -> {
          dataStart = System.nanoTime();
          return command("DATA", "DATA", 354);
        })
        .compose(r -> {
          socket.write(group.body());
          return expect("end of DATA", 250);
        })
        .map(r -> {
          long now = System.nanoTime();
          if (run.measuring(now)) {
            GroupStats.record(stats.dataTo250, now - dataStart);
            stats.measuredMessagesOk++;
          }
          return null;
        });
  }

  private void hold() {
    held = true;
    settled = true;
    stage = "hold";
    run.heldOne();
    run.activity();
    if (group.stopping()) {
      release();
    }
  }

  /** Ends the run for this session: a held one says QUIT, a busy one is cut off. */
  void stop() {
    if (finished) {
      return;
    }
    if (held) {
      release();
    } else {
      abort();
    }
  }

  private void release() {
    if (!held) {
      return;
    }
    held = false;
    stats.heldAtStop++;
    run.releasedOne();
    quit();
  }

  private void quit() {
    stage = "QUIT";
    if (broken != null) {
      finish(broken);
      return;
    }
    socket.write("QUIT\r\n");
    read("QUIT", QUIT_TIMEOUT_MS).onComplete(ar -> {
      if (ar.failed()) {
        finish(ar.cause());
      } else if (ar.result().code() != 221) {
        finish(new LoadErrors.UnexpectedReply("QUIT", ar.result()));
      } else {
        if (!s.hold()) {
          // A held session's QUIT comes at the end of the run, not at the end of its work.
          run.activity();
        }
        finish(null);
      }
    });
  }

  /** Cuts the session off now: the run has ended. */
  void abort() {
    if (finished) {
      return;
    }
    aborted = true;
    fail(new LoadErrors.Aborted());
    if (socket == null && !slot) {
      // Never started: it was waiting for a set-up slot.
      finish(new LoadErrors.Aborted());
    } else if (socket != null) {
      socket.close();
    }
  }

  /** The group's last resort after the grace period: account for the session and close it. */
  void forceFinish() {
    aborted = true;
    finish(new LoadErrors.Aborted());
  }

  private Future<SmtpReply> command(String line, String what, int... codes) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    socket.write(line + "\r\n");
    return expect(what, codes);
  }

  private Future<SmtpReply> expect(String what, int... codes) {
    return read(what, s.replyTimeout().toMillis()).compose(r -> {
      for (int c : codes) {
        if (r.code() == c) {
          return Future.succeededFuture(r);
        }
      }
      return Future.failedFuture(new LoadErrors.UnexpectedReply(what, r));
    });
  }

  private Future<SmtpReply> read(String what, long timeoutMillis) {
    stage = what;
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    SmtpReply r = reader.poll();
    if (r != null) {
      return Future.succeededFuture(r);
    }
    Promise<SmtpReply> p = Promise.promise();
    waiting = p;
    timer = vertx.setTimer(timeoutMillis, id -> {
      timer = -1;
      if (waiting == p) {
        waiting = null;
        broken = new LoadErrors.ReplyTimeout(what);
        p.fail(broken);
      }
    });
    return p.future();
  }

  private void onData(Buffer data) {
    if (finished) {
      return;
    }
    try {
      reader.feed(data);
    } catch (LoadErrors.Protocol e) {
      fail(e);
      socket.close();
      return;
    }
    while (reader.hasReply()) {
      if (waiting != null) {
        Promise<SmtpReply> p = waiting;
        waiting = null;
        cancelTimer();
        p.complete(reader.poll());
      } else if (held) {
        // Something while idle, typically 421 (timeout, shutdown): the held session is lost.
        finish(new LoadErrors.UnexpectedReply("hold", reader.poll()));
        return;
      } else {
        return;
      }
    }
  }

  private void onException(Throwable t) {
    fail(t instanceof RuntimeException re ? re : new RuntimeException(t));
    if (socket != null) {
      socket.close();
    }
  }

  private void onClose() {
    run.closed();
    if (!finished) {
      fail(new LoadErrors.ConnectionClosed(stage));
    }
  }

  /** The connection is unusable: the pending read fails, and a held session ends. */
  private void fail(RuntimeException e) {
    if (broken == null) {
      broken = aborted ? new LoadErrors.Aborted() : e;
    }
    if (waiting != null) {
      Promise<SmtpReply> p = waiting;
      waiting = null;
      cancelTimer();
      p.fail(broken);
    } else if (held) {
      finish(broken);
    }
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void releaseSlot() {
    if (slot) {
      slot = false;
      group.openingDone();
    }
  }

  /** Accounts for the session exactly once; {@code cause} null means it ended well. */
  private void finish(Throwable cause) {
    if (finished) {
      return;
    }
    finished = true;
    cancelTimer();
    if (waiting != null) {
      Promise<SmtpReply> p = waiting;
      waiting = null;
      p.tryFail(new LoadErrors.Aborted());
    }
    releaseSlot();
    // At most one message is in flight (begun, not finished). Claimed messages never begun go
    // back to the pool; when the session failed with no message in flight, its next message fails
    // with it, so a target that fails every session still ends a message run.
    long inFlight = started - sent;
    if (aborted || cause instanceof LoadErrors.Aborted) {
      stats.sessionsAborted++;
      stats.messagesAborted += inFlight;
      run.returnMessages(claimed - started);
    } else if (cause == null) {
      stats.sessionsCompleted++;
    } else {
      long failedNow = inFlight == 0 && claimed > sent ? 1 : inFlight;
      stats.sessionsFailed++;
      stats.error(cause);
      stats.messagesFailed += failedNow;
      run.messagesFailed.add(failedNow);
      run.returnMessages(claimed - sent - failedNow);
    }
    if (held) {
      held = false;
      run.releasedOne();
    }
    if (!settled) {
      settled = true;
      run.settledOne();
    }
    run.sessionsEnded.increment();
    if (socket != null) {
      socket.close();
    }
    group.sessionEnded(this);
  }

  /**
   * Whether the handshake resumed a session, for the OpenSSL client engine; null when it cannot be
   * told (the JDK engine has no API for it).
   */
  private static Boolean resumed(NetSocket socket) {
    try {
      if (socket instanceof NetSocketInternal internal) {
        SslHandler h = internal.channelHandlerContext().pipeline().get(SslHandler.class);
        if (h != null && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
          return SSL.isSessionReused(e.sslPointer());
        }
      }
    } catch (RuntimeException | LinkageError e) {
      // Unknown rather than wrong.
    }
    return null;
  }
}
