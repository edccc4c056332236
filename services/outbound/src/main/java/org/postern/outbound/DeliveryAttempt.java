package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;
import javax.net.ssl.SSLSession;
import org.postern.bus.DeliveryRequest;
import org.postern.config.IpLiterals;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.StartTlsLogLine;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;
import org.postern.tls.ClientTls;
import org.postern.tls.SessionFacts;

/**
 * One SMTP session with one next-hop address: greeting, EHLO, STARTTLS as the TLS level demands,
 * then one mail transaction.
 *
 * <p>Until the transaction starts, anything that goes wrong is about this address and fails the
 * attempt with a {@link TargetFailure}, so the caller tries the next one. Once MAIL FROM is sent
 * the recipients' fates belong to this server: the attempt then always succeeds with one reply per
 * recipient, failures included.
 */
final class DeliveryAttempt {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  private final Vertx vertx;
  private final NetClient client;
  private final SessionSettings settings;
  private final Target target;
  /** The level the caller asked for, until policy names this address's own. */
  private TlsLevel level;
  private final DeliveryRequest request;
  private final TlsPolicyGate policy;
  /** The server's certificate, when STARTTLS completed. */
  private X509Certificate peer;
  /** Per recipient: the TLS policy's refusal (tls_rcpt), or null to send it. */
  private Reply[] refusedByPolicy;

  private SmtpClientConnection conn;
  private Set<String> capabilities = Set.of();
  private TlsFacts tls;
  /** What we were doing, for the reply when the conversation breaks off. */
  private String stage = "connecting";

  DeliveryAttempt(Vertx vertx, NetClient client, SessionSettings settings, Target target, TlsLevel level,
      DeliveryRequest request) {
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.target = target;
    this.level = level;
    this.request = request;
    this.policy = new TlsPolicyGate(vertx, request, target);
  }

  Future<AttemptResult> run() {
    return policy.level().compose(l -> {
      level = l;
      return connect();
    }).compose(socket -> {
      conn = new SmtpClientConnection(vertx, socket, settings.commandTimeout());
      return greeting()
          .compose(v -> hello())
          .compose(v -> startTls())
          .compose(v -> policy.judge(tls, peer))
          .map(refused -> refusedByPolicy = refused)
          .<Void>mapEmpty()
          .recover(this::abandon)
          .compose(v -> transaction());
    });
  }

  private Future<NetSocket> connect() {
    return client.connect(SocketAddress.inetSocketAddress(target.port(), target.ip()))
        .recover(t -> Future.failedFuture(new TargetFailure(
            Replies.ours(451, "4.4.1", "connect to " + target.address() + " failed: " + Replies.reason(t)), "none")));
  }

  private Future<Void> greeting() {
    stage = "receiving the initial server greeting";
    return conn.read().compose(reply -> {
      if (reply.code() == 220) {
        return Future.succeededFuture();
      }
      // A 4xx or 5xx greeting is about this server only (Postfix skips 5xx greeters as well).
      return Future.failedFuture(new TargetFailure(
          Replies.refusalOrProtocolError(reply, "the connection", target.relay()), target.relay()));
    });
  }

  private Future<Void> hello() {
    stage = "performing the EHLO handshake";
    return conn.command("EHLO " + settings.hostname()).compose(reply -> {
      if (reply.code() == 250) {
        capabilities = parseCapabilities(reply);
        return Future.succeededFuture();
      }
      if (!reply.isPermanent()) {
        return refused(reply, "EHLO");
      }
      // RFC 5321 §3.2: a server that does not know EHLO gets HELO, and offers no extensions.
      stage = "performing the HELO handshake";
      return conn.command("HELO " + settings.hostname())
          .compose(helo -> helo.code() == 250 ? Future.succeededFuture() : refused(helo, "HELO"));
    });
  }

  private Future<Void> startTls() {
    if (level == TlsLevel.NONE) {
      return Future.succeededFuture();
    }
    if (!capabilities.contains("STARTTLS")) {
      return level.mandatory()
          ? Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.4",
              "TLS is required, but was not offered by host " + target.relay()), target.relay()))
          : Future.succeededFuture();
    }
    stage = "sending STARTTLS";
    return conn.command("STARTTLS").compose(reply -> {
      // Only exactly 220 starts a handshake; anything else leaves the session in plaintext.
      if (reply.code() != 220) {
        if (level.mandatory()) {
          return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.4",
              "TLS is required, but host " + target.relay() + " refused to start TLS: " + reply), target.relay()));
        }
        LOG.info(request.queueId() + ": host " + target.relay() + " refused to start TLS (" + reply
            + "); continuing in plaintext at level " + level.configName());
        return Future.succeededFuture();
      }
      stage = "performing the TLS handshake";
      return conn.startTls(ClientTls.opportunistic(settings.tlsProtocols(), settings.starttlsTimeout()),
              serverName(), settings.starttlsTimeout())
          .recover(t -> Future.failedFuture(new TargetFailure(Replies.ours(451, "4.7.5",
              "TLS handshake with " + target.relay() + " failed: " + Replies.reason(t)), target.relay())))
          .compose(this::afterHandshake);
    });
  }

  private Future<Void> afterHandshake(SSLSession session) {
    X509Certificate[] chain = SessionFacts.peerChain(session);
    Verify verify = settings.verification().verifyServer(chain);
    tls = SessionFacts.of(session, verify);
    peer = chain.length > 0 ? chain[0] : null;
    LOG.info(StartTlsLogLine.format(StartTlsLogLine.Role.CLIENT, target.host(), target.ip(), tls));
    if (level.atLeast(TlsLevel.DANE) && verify != Verify.OK) {
      return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.5",
          "Server certificate not verified (verify=" + verify + ") for host " + target.relay()), target.relay()));
    }
    // RFC 3207 §4.2: what the server said before TLS may have been forged; ask again.
    capabilities = Set.of();
    stage = "performing the EHLO handshake after STARTTLS";
    return conn.command("EHLO " + settings.hostname()).compose(reply -> {
      if (reply.code() != 250) {
        return refused(reply, "EHLO");
      }
      capabilities = parseCapabilities(reply);
      return Future.succeededFuture();
    });
  }

  /** Ends a session that failed before the transaction, and says why as a target failure. */
  private Future<Void> abandon(Throwable t) {
    conn.quit();
    if (t instanceof ReplyFailure) {
      return Future.failedFuture(t);
    }
    return Future.failedFuture(new TargetFailure(Replies.conversationFailed(t, target.relay(), stage),
        target.relay()));
  }

  private Future<AttemptResult> transaction() {
    int n = request.recipients().size();
    Reply[] replies = refusedByPolicy.clone();
    List<Integer> accepted = new ArrayList<>();
    if (Arrays.stream(replies).allMatch(r -> r != null)) {
      conn.quit();
      return Future.succeededFuture(new AttemptResult(target, tls, List.of(replies), false));
    }
    stage = "sending MAIL FROM";
    return conn.command("MAIL FROM:" + request.sender() + mailParameters())
        .compose(mail -> {
          if (mail.code() / 100 != 2) {
            Reply r = Replies.refusalOrProtocolError(mail, "MAIL FROM", target.relay());
            Arrays.fill(replies, r);
            return Future.<Void>succeededFuture();
          }
          return recipients(0, replies, accepted)
              .compose(v -> accepted.isEmpty() ? Future.<Void>succeededFuture() : data(replies, accepted));
        })
        // A broken conversation leaves every undecided recipient (accepted ones included: their
        // message was not confirmed) deferred. It may still have arrived: a duplicate is the
        // lesser evil than a loss (RFC 5321 §6.1).
        .recover(t -> {
          Reply r = Replies.conversationFailed(t, target.relay(), stage);
          for (int i = 0; i < n; i++) {
            if (replies[i] == null) {
              replies[i] = r;
            }
          }
          return Future.succeededFuture();
        })
        .map(v -> {
          conn.quit();
          return new AttemptResult(target, tls, List.of(replies), capabilities.contains("DSN"));
        });
  }

  private Future<Void> recipients(int i, Reply[] replies, List<Integer> accepted) {
    if (i == replies.length) {
      return Future.succeededFuture();
    }
    if (replies[i] != null) {
      return recipients(i + 1, replies, accepted);
    }
    Path rcpt = request.recipients().get(i);
    stage = "sending RCPT TO";
    return conn.command("RCPT TO:" + rcpt + rcptParameters(i)).compose(reply -> {
      if (reply.code() / 100 == 2) {
        accepted.add(i);
      } else {
        replies[i] = Replies.refusalOrProtocolError(reply, "RCPT TO", target.relay());
      }
      return recipients(i + 1, replies, accepted);
    });
  }

  private Future<Void> data(Reply[] replies, List<Integer> accepted) {
    stage = "sending DATA";
    return conn.command("DATA").compose(start -> {
      if (start.code() != 354) {
        Reply r = Replies.refusalOrProtocolError(start, "DATA", target.relay());
        accepted.forEach(i -> replies[i] = r);
        return Future.succeededFuture();
      }
      stage = "sending the message";
      conn.write(DotStuffing.encode(request.body()));
      return conn.read().map(end -> {
        // The reply to the end of data decides for every recipient accepted at RCPT.
        Reply r = end.code() / 100 == 2 ? end : Replies.refusalOrProtocolError(end, "end of DATA", target.relay());
        accepted.forEach(i -> replies[i] = r);
        return null;
      });
    });
  }

  /**
   * MAIL parameters travel on only when the message had them and this server understands them:
   * BODY=8BITMIME, SMTPUTF8, and DSN's RET and ENVID (RFC 3461 §5.2).
   */
  private String mailParameters() {
    StringBuilder sb = new StringBuilder();
    String body = request.mailParams().get("BODY");
    if (body != null && body.equalsIgnoreCase("8BITMIME") && capabilities.contains("8BITMIME")) {
      sb.append(" BODY=8BITMIME");
    }
    if (request.mailParams().containsKey("SMTPUTF8") && capabilities.contains("SMTPUTF8")) {
      sb.append(" SMTPUTF8");
    }
    if (capabilities.contains("DSN")) {
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
    if (!capabilities.contains("DSN")) {
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

  private Future<Void> refused(Reply reply, String stage) {
    return Future.failedFuture(new TargetFailure(
        Replies.refusalOrProtocolError(reply, stage, target.relay()), target.relay()));
  }

  /** SNI carries host names only (RFC 6066 §3): none for an address. */
  private String serverName() {
    return IpLiterals.isLiteral(target.host()) ? null : target.host();
  }

  /** The EHLO keywords (first word of every line after the first), upper-cased. */
  static Set<String> parseCapabilities(Reply ehlo) {
    Set<String> caps = new HashSet<>();
    List<String> lines = ehlo.lines();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int sp = line.indexOf(' ');
      String keyword = sp < 0 ? line : line.substring(0, sp);
      if (!keyword.isEmpty()) {
        caps.add(keyword.toUpperCase(Locale.ROOT));
      }
    }
    return Set.copyOf(caps);
  }
}
