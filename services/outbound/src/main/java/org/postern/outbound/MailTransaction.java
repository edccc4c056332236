package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.MessageBody;
import org.postern.smtp.Reply;

/**
 * One mail transaction over an {@link OpenSession}: MAIL FROM, RCPT TO per recipient (pipelined
 * when the server offers PIPELINING, RFC 2920), then DATA, or BDAT when it offers CHUNKING (RFC
 * 3030). Every reply code is checked against what its stage allows.
 *
 * <p>Before anything is sent the message is checked against what the server announced: a message
 * larger than its SIZE bounces with 5.3.4 (RFC 1870), 8-bit content to a server without 8BITMIME
 * bounces with 5.6.3, and non-ASCII addresses to a server without SMTPUTF8 bounce with 5.6.7 (RFC
 * 6531 §3.2). Postern does not downgrade 8-bit content to quoted-printable: rewriting MIME parts
 * breaks signatures (DKIM) and is a parser's worth of risk for the few servers left without
 * 8BITMIME.
 *
 * <p>With PIPELINING and without CHUNKING, DATA goes in the same write as MAIL and the RCPTs, as
 * RFC 2920 §3.1 allows for the last command of a group, so a message costs one round trip less.
 * When no recipient was accepted, a server that answers the pipelined DATA with 354 anyway gets
 * an empty content (just the terminating dot), as RFC 2920 §3.1 says, and it decides nothing.
 *
 * <p>The last piece of the content and its end ({@code .CRLF}, or a missing final CRLF) go in one
 * write, as do the BDAT command and the first piece: fewer writes, the same octets.
 *
 * <p>A 4xx to MAIL FROM is about this server (it is busy, or dislikes us), so it fails the attempt
 * with a {@link TargetFailure} and the next address is tried. From then on the recipients' fates
 * belong to this server: the transaction succeeds with one reply per recipient, failures included.
 */
final class MailTransaction {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /** How much of a large stored body is read and sent at a time. */
  private static final int PIECE = 64 * 1024;
  /**
   * A stored body up to this size is asked for in one read, so a retry from the spool costs one
   * hand-off to a worker thread, not one per {@link #PIECE}; it is the most the spool keeps in a
   * batch file per body (Spool.MAX_BATCHED_BODY), so no more memory than those bodies take.
   */
  static final int WHOLE = 256 * 1024;

  private final OpenSession session;
  private final DeliveryRequest request;
  private final Target target;
  private String stage = "sending MAIL FROM";
  /** When the transaction began (System.nanoTime): the end of the session's set-up in the log's delays=. */
  private final long started = System.nanoTime();

  /** Per recipient: the TLS policy's refusal (tls_rcpt), or null to send it. */
  private final Reply[] refusedByPolicy;

  MailTransaction(OpenSession session, DeliveryRequest request, Reply[] refusedByPolicy) {
    if (refusedByPolicy.length != request.recipients().size()) {
      throw new IllegalArgumentException("one policy answer per recipient");
    }
    this.session = session;
    this.request = request;
    this.refusedByPolicy = refusedByPolicy.clone();
    this.target = session.target;
  }

  Future<AttemptResult> run() {
    int n = request.recipients().size();
    Reply[] replies = refusedByPolicy.clone();
    if (Arrays.stream(replies).allMatch(r -> r != null)) {
      return Future.succeededFuture(result(replies)); // policy refused them all: no MAIL at all
    }
    session.transactions++;
    Reply refusal = precheck();
    if (refusal != null) {
      return Future.succeededFuture(result(filledUndecided(replies, refusal)));
    }
    List<Integer> accepted = new ArrayList<>();
    boolean pipelined = session.capabilities.has("PIPELINING");
    boolean dataPipelined = pipelined && !session.capabilities.has("CHUNKING");
    return envelope(replies, accepted, pipelined, dataPipelined)
        .compose(mailOk -> {
          if (dataPipelined) {
            return pipelinedContent(mailOk, replies, accepted);
          }
          return mailOk && !accepted.isEmpty() ? content(replies, accepted) : Future.succeededFuture();
        })
        // A broken conversation leaves every undecided recipient (accepted ones included: their
        // message was not confirmed) deferred. It may still have arrived: a duplicate is the
        // lesser evil than a loss (RFC 5321 §6.1).
        .recover(t -> {
          if (t instanceof TargetFailure || t instanceof StaleSession) {
            return Future.failedFuture(t);
          }
          Reply r = Replies.conversationFailed(t, target.relay(), stage);
          for (int i = 0; i < n; i++) {
            if (replies[i] == null) {
              replies[i] = r;
            }
          }
          return Future.succeededFuture();
        })
        .map(v -> result(replies));
  }

  /** A reply for every recipient when the message cannot go to this server as it is; else null. */
  private Reply precheck() {
    Capabilities caps = session.capabilities;
    long size = request.body().length();
    if (caps.maxSize() > 0 && size > caps.maxSize()) {
      return Replies.ours(552, "5.3.4", "message size " + size + " exceeds the size limit " + caps.maxSize()
          + " of " + target.relay());
    }
    if (!caps.has("8BITMIME") && request.body().eightBit()) {
      return Replies.ours(554, "5.6.3", "message has 8-bit content, but " + target.relay()
          + " does not support 8BITMIME (no downgrade is done)");
    }
    if (!caps.has("SMTPUTF8") && needsSmtputf8()) {
      return Replies.ours(553, "5.6.7", "non-ASCII address, but " + target.relay() + " does not support SMTPUTF8");
    }
    return null;
  }

  private boolean needsSmtputf8() {
    return !request.sender().isAscii() || request.recipients().stream().anyMatch(r -> !r.isAscii());
  }

  /**
   * MAIL FROM and the RCPTs; true when MAIL was accepted. Recipients refused get their reply, the
   * accepted ones their index in {@code accepted}.
   */
  private Future<Boolean> envelope(Reply[] replies, List<Integer> accepted, boolean pipelined,
      boolean dataPipelined) {
    List<String> commands = new ArrayList<>();
    commands.add("MAIL FROM:" + request.sender() + mailParameters());
    // Recipients policy refused (tls_rcpt) are not offered to this server at all.
    List<Integer> offered = new ArrayList<>();
    for (int i = 0; i < replies.length; i++) {
      if (replies[i] == null) {
        offered.add(i);
        commands.add("RCPT TO:" + request.recipients().get(i) + rcptParameters(i));
      }
    }
    Future<List<Reply>> answers;
    if (dataPipelined || session.rsetPending) {
      // A pooled session's RSET heads the group; DATA's reply is read after these, by pipelinedContent.
      List<String> group = new ArrayList<>();
      boolean rset = session.rsetPending;
      session.rsetPending = false;
      if (rset) {
        group.add("RSET");
      }
      group.addAll(commands);
      if (dataPipelined) {
        group.add("DATA");
      }
      session.conn.send(group);
      answers = (rset ? rsetReply() : Future.<Void>succeededFuture()).compose(v -> readReplies(commands));
    } else {
      answers = pipelined ? session.conn.pipeline(commands) : lockstep(commands);
    }
    return answers.compose(list -> {
      Reply mail = list.get(0);
      if (mail.code() / 100 != 2) {
        if (mail.isTransient()) {
          return Future.failedFuture(new TargetFailure(mail, target.relay(), session.tls));
        }
        filledUndecided(replies, Replies.refusalOrProtocolError(mail, "MAIL FROM", target.relay()));
        return Future.succeededFuture(false);
      }
      for (int k = 0; k < offered.size(); k++) {
        int i = offered.get(k);
        Reply r = list.get(k + 1);
        if (r.code() / 100 == 2) {
          accepted.add(i);
        } else {
          replies[i] = Replies.refusalOrProtocolError(r, "RCPT TO", target.relay());
        }
      }
      return Future.succeededFuture(true);
    });
  }

  /**
   * The reply to a pooled session's pipelined RSET: anything but 250 (or none) means the session
   * is out of step, so it is closed at once, without QUIT and before any content, and the
   * delivery takes another session. Nothing of this transaction can have been delivered.
   */
  private Future<Void> rsetReply() {
    return session.conn.replyTo("RSET").transform(ar -> {
      if (ar.succeeded() && ar.result().code() == 250) {
        return Future.succeededFuture();
      }
      LOG.fine(() -> "cached session to " + target.relay() + " failed RSET; closing it");
      session.conn.discard("cached session failed RSET");
      return Future.failedFuture(new StaleSession());
    });
  }

  /** The replies to {@code commands}, sent already, in order. */
  private Future<List<Reply>> readReplies(List<String> commands) {
    List<Reply> replies = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String c : commands) {
      chain = chain.compose(v -> session.conn.replyTo(c).map(r -> {
        replies.add(r);
        return null;
      }));
    }
    return chain.map(v -> replies);
  }

  /**
   * After a pipelined envelope: the reply to the DATA sent with it. With a recipient accepted, 354
   * starts the content; without one (or after a refused MAIL), a 354 anyway is ended at once.
   */
  private Future<Void> pipelinedContent(boolean mailOk, Reply[] replies, List<Integer> accepted) {
    stage = "sending DATA";
    return session.conn.replyTo("DATA").compose(start -> {
      boolean wanted = mailOk && !accepted.isEmpty();
      if (start.code() != 354) {
        if (wanted) {
          Reply r = Replies.refusalOrProtocolError(start, "DATA", target.relay());
          accepted.forEach(i -> replies[i] = r);
        }
        return Future.succeededFuture();
      }
      if (!wanted) {
        // Nobody to deliver to: the empty content's reply decides nothing.
        stage = "ending an empty DATA";
        return session.conn.writePiece(Buffer.buffer(".\r\n")).compose(v -> session.conn.read()).mapEmpty();
      }
      return dataContent(replies, accepted);
    });
  }

  /** Without PIPELINING: one command, one reply; no RCPT after a refused MAIL. */
  private Future<List<Reply>> lockstep(List<String> commands) {
    List<Reply> replies = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < commands.size(); i++) {
      String c = commands.get(i);
      boolean mail = i == 0;
      chain = chain.compose(v -> {
        if (!mail && replies.get(0).code() / 100 != 2) {
          replies.add(replies.get(0));
          return Future.succeededFuture();
        }
        stage = mail ? "sending MAIL FROM" : "sending RCPT TO";
        return session.conn.command(c).map(r -> {
          replies.add(r);
          return null;
        });
      });
    }
    return chain.map(v -> replies);
  }

  private Future<Void> content(Reply[] replies, List<Integer> accepted) {
    if (session.capabilities.has("CHUNKING")) {
      return bdat(replies, accepted);
    }
    stage = "sending DATA";
    return session.conn.command("DATA").compose(start -> {
      if (start.code() != 354) {
        Reply r = Replies.refusalOrProtocolError(start, "DATA", target.relay());
        accepted.forEach(i -> replies[i] = r);
        return Future.succeededFuture();
      }
      return dataContent(replies, accepted);
    });
  }

  /** After the 354: the dot-stuffed content, its end, and the reply that decides. */
  private Future<Void> dataContent(Reply[] replies, List<Integer> accepted) {
    stage = "sending the message";
    DotStuffing stuffing = new DotStuffing();
    return sendBody(null, stuffing::piece, stuffing::end)
        .compose(v -> session.conn.read())
        .map(end -> decide(end, "end of DATA", replies, accepted));
  }

  /**
   * The whole message as one last chunk: no dot-stuffing, the length says where it ends, so it is
   * declared before the body, from what the queue knew of it when it stored it.
   */
  private Future<Void> bdat(Reply[] replies, List<Integer> accepted) {
    stage = "sending the message (BDAT)";
    MessageBody body = request.body();
    // Like DATA, the message always ends with a complete line.
    boolean complete = body.endsWithCrlf();
    Buffer command = Buffer.buffer("BDAT " + (body.length() + (complete ? 0 : 2)) + " LAST\r\n");
    return sendBody(command, piece -> piece, () -> complete ? null : Buffer.buffer("\r\n"))
        .compose(v -> session.conn.read())
        .map(end -> decide(end, "BDAT", replies, accepted));
  }

  /**
   * Sends the body, read piece by piece (from the spool, on a worker) and each piece sent once the
   * socket can take it, so a large message is never whole in memory. A body already in memory,
   * or a stored one up to {@link #WHOLE} octets, goes as one piece. {@code lead} (or null) goes in
   * the first piece's write, and {@code trail}'s buffer (or null), asked for once the last piece
   * is encoded, in the last one's.
   */
  private Future<Void> sendBody(Buffer lead, UnaryOperator<Buffer> encode, Supplier<Buffer> trail) {
    MessageBody body = request.body();
    int piece = body.inMemory() != null || body.length() <= WHOLE
        ? Math.toIntExact(Math.max(1, body.length())) : PIECE;
    if (body.length() == 0) {
      return session.conn.writePiece(joined(lead, trail.get()));
    }
    Promise<Void> sent = Promise.promise();
    sendFrom(0, piece, lead, encode, trail, sent);
    return sent.future();
  }

  /**
   * One piece, then the next from its own callback: a future composed per piece would nest
   * thousands deep for a large body, and completing the innermost would overflow the stack.
   */
  private void sendFrom(long position, int piece, Buffer lead, UnaryOperator<Buffer> encode, Supplier<Buffer> trail,
      Promise<Void> sent) {
    MessageBody body = request.body();
    if (position >= body.length()) {
      sent.complete();
      return;
    }
    body.read(position, piece).compose(data -> {
      if (data.length() == 0) {
        return Future.<Integer>failedFuture(new java.io.IOException("the stored body ended after " + position
            + " of " + body.length() + " octets"));
      }
      Buffer out = encode.apply(data);
      boolean last = position + data.length() >= body.length();
      return session.conn.writePiece(joined(lead, last ? joined(out, trail.get()) : out)).map(v -> data.length());
    }).onSuccess(n -> sendFrom(position + n, piece, null, encode, trail, sent)).onFailure(sent::fail);
  }

  /** {@code a} then {@code b}, either of them possibly null (but not both). */
  private static Buffer joined(Buffer a, Buffer b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return Buffer.buffer(a.length() + b.length()).appendBuffer(a).appendBuffer(b);
  }

  /** The reply to the end of the content decides for every recipient accepted at RCPT. */
  private Void decide(Reply end, String what, Reply[] replies, List<Integer> accepted) {
    Reply r = end.code() / 100 == 2 ? end : Replies.refusalOrProtocolError(end, what, target.relay());
    accepted.forEach(i -> replies[i] = r);
    return null;
  }

  /** Gives {@code r} to every recipient policy did not already refuse. */
  private static Reply[] filledUndecided(Reply[] replies, Reply r) {
    for (int i = 0; i < replies.length; i++) {
      if (replies[i] == null) {
        replies[i] = r;
      }
    }
    return replies;
  }

  private AttemptResult result(Reply[] replies) {
    return new AttemptResult(target, session.tls, List.of(replies), session.capabilities.has("DSN"),
        session.transactions, started);
  }

  /**
   * MAIL parameters travel on only when this server understands them: SIZE (RFC 1870),
   * BODY=8BITMIME when the message had it or has 8-bit content, SMTPUTF8, and DSN's RET and ENVID
   * (RFC 3461 §5.2).
   */
  private String mailParameters() {
    Capabilities caps = session.capabilities;
    StringBuilder sb = new StringBuilder();
    if (caps.has("SIZE")) {
      sb.append(" SIZE=").append(request.body().length());
    }
    String body = request.mailParams().get("BODY");
    boolean declared = body != null && body.equalsIgnoreCase("8BITMIME");
    if (caps.has("8BITMIME") && (declared || request.body().eightBit())) {
      sb.append(" BODY=8BITMIME");
    }
    if (request.mailParams().containsKey("SMTPUTF8") && caps.has("SMTPUTF8")) {
      sb.append(" SMTPUTF8");
    }
    if (caps.has("DSN")) {
      for (String key : List.of("RET", "ENVID")) {
        String v = request.mailParams().get(key);
        if (v != null) {
          sb.append(' ').append(key).append('=').append(v);
        }
      }
    }
    return sb.toString();
  }

  /** DSN's NOTIFY and ORCPT for recipient {@code i}, to a server that advertised DSN. */
  private String rcptParameters(int i) {
    if (!session.capabilities.has("DSN")) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String key : List.of("NOTIFY", "ORCPT")) {
      String v = request.rcptParams().get(i).get(key);
      if (v != null) {
        sb.append(' ').append(key).append('=').append(v);
      }
    }
    return sb.toString();
  }
}
