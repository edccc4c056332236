package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Set;
import java.util.logging.Logger;
import javax.net.ssl.SSLSession;
import org.postern.config.IpLiterals;
import org.postern.smtp.Reply;
import org.postern.smtp.StartTlsLogLine;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;
import org.postern.tls.PeerVerification;
import org.postern.tls.SessionFacts;

/**
 * Opens one SMTP session with one next-hop address: connect, greeting, EHLO (HELO as a fallback),
 * STARTTLS as the destination's TLS level demands, and AUTH when the next hop has credentials.
 * The result is an {@link OpenSession} ready for {@link MailTransaction}s.
 *
 * <p>Anything that goes wrong here is about this address and fails with a {@link TargetFailure},
 * so the caller tries the next one. A TLS handshake that fails at level {@code may} is the one
 * exception: the address is remembered as broken ({@link BrokenTlsPeers}) and tried again at once
 * in plaintext, as opportunistic TLS prefers plaintext to no delivery (RFC 7435). At any level
 * that demands TLS the failure stands, and nothing is sent in plaintext.
 */
final class DeliveryAttempt {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  private final Vertx vertx;
  private final NetClient client;
  private final SessionSettings settings;
  private final Target target;
  /** This address's TLS level, as policy answered it (see {@link TlsPolicyGate#level}) and {@link Dane} planned it. */
  private final TlsLevel level;
  /** The usable TLSA records that must authenticate the server; empty when DANE does not apply. */
  private final java.util.List<Tlsa> tlsa;
  private final Dane.Plan plan;
  private final String queueId;
  /** What the certificate must match at levels verify and secure. */
  private final NameMatch names;
  private final BrokenTlsPeers brokenTls;
  private final TlsResumption resumption;
  /**
   * For the plaintext retry after a broken handshake: STARTTLS is skipped, and the session's
   * {@code ${verify}} is this (SOFTWARE). Null otherwise.
   */
  private final Verify skipTls;

  private SmtpClientConnection conn;
  private Capabilities capabilities = Capabilities.NONE;
  private TlsFacts tls;
  /**
   * sendmail's {@code ${verify}} while there is no TLS: NONE (STARTTLS not performed), TEMP (a
   * 4xx to STARTTLS), PROTOCOL (another refusal) or SOFTWARE (a failed handshake, now or recently).
   */
  private Verify withoutTls = Verify.NONE;
  /** The server's certificate, when STARTTLS completed: policy checks pins and names on it. */
  private X509Certificate peer;
  private boolean resumed;
  private Set<ByteBuffer> cachedSessions = Set.of();
  /** What we were doing, for the reply when the conversation breaks off. */
  private String stage = "connecting";

  DeliveryAttempt(Vertx vertx, NetClient client, SessionSettings settings, Target target, Dane.Plan plan,
      String queueId, NameMatch names, BrokenTlsPeers brokenTls, TlsResumption resumption) {
    this(vertx, client, settings, target, plan, queueId, names, brokenTls, resumption, null);
  }

  private DeliveryAttempt(Vertx vertx, NetClient client, SessionSettings settings, Target target, Dane.Plan plan,
      String queueId, NameMatch names, BrokenTlsPeers brokenTls, TlsResumption resumption, Verify skipTls) {
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.target = target;
    this.plan = plan;
    this.level = plan.level();
    this.tlsa = plan.tlsa();
    this.queueId = queueId;
    this.names = names;
    this.brokenTls = brokenTls;
    this.resumption = resumption;
    this.skipTls = skipTls;
    if (skipTls != null) {
      withoutTls = skipTls;
    }
  }

  /**
   * A session ready for MAIL FROM. {@code onClose} runs once when its connection closes (or at
   * once when none was made), so the caller can free the connection slot.
   */
  Future<OpenSession> open(Runnable onClose) {
    return connect().onFailure(t -> onClose.run()).compose(socket -> {
      conn = new SmtpClientConnection(vertx, socket, settings.commandTimeout());
      conn.onClose(onClose);
      return greeting()
          .compose(v -> hello())
          .compose(v -> startTls())
          .compose(v -> authenticate())
          .map(v -> new OpenSession(target, level, names, conn, capabilities, tls, tls != null ? tls.verify()
              : withoutTls, peer, resumed))
          .recover(t -> abandon(t, onClose));
    });
  }

  private Future<NetSocket> connect() {
    return client.connect(SocketAddress.inetSocketAddress(target.port(), target.ip()))
        .recover(t -> Future.failedFuture(new TargetFailure(
            Replies.ours(451, "4.4.1", "connect to " + target.relay() + " failed: " + Replies.reason(t)), "none")));
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
        capabilities = Capabilities.parse(reply);
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
      if (settings.noteStarttlsOffer() && capabilities.has("STARTTLS")) {
        // Postfix's smtp_tls_note_starttls_offer: tells the operator where TLS could be had.
        LOG.info(queueId + ": host " + target.relay() + " offered STARTTLS, unused at TLS level none");
      }
      return Future.succeededFuture();
    }
    if (skipTls != null) {
      return Future.succeededFuture();
    }
    Future<BrokenTlsPeers.Remembered> broken = mandatory()
        ? Future.succeededFuture(BrokenTlsPeers.Remembered.NO) : brokenTls.lookup(target);
    return broken.compose(remembered -> {
      if (remembered != BrokenTlsPeers.Remembered.NO) {
        // Not tried because the last handshake failed: the policy judges it as that failure.
        withoutTls = Verify.SOFTWARE;
        LOG.info(queueId + ": host " + target.relay() + " failed a TLS handshake recently"
            + (remembered == BrokenTlsPeers.Remembered.CLUSTER ? " (seen by another node of the cluster)" : "")
            + "; plaintext at level " + level.configName() + " without trying STARTTLS");
        return Future.succeededFuture();
      }
      return offerStartTls();
    });
  }

  /** STARTTLS if offered (and demanded when the level is mandatory), then the handshake. */
  private Future<Void> offerStartTls() {
    if (!capabilities.has("STARTTLS")) {
      return mandatory()
          ? Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.4",
              "TLS is required, but was not offered by host " + target.relay()), target.relay()))
          : Future.succeededFuture();
    }
    stage = "waiting for the reply to STARTTLS";
    // outbound.starttls_timeout bounds the whole TLS start, this wait included (Postfix's
    // smtp_starttls_timeout): a server that never answers STARTTLS must not hold the delivery for
    // the much longer command timeout.
    return conn.command("STARTTLS", settings.starttlsTimeout()).compose(reply -> {
      // Only exactly 220 starts a handshake; anything else leaves the session in plaintext.
      if (reply.code() != 220) {
        // Seed 004's ${verify}: TEMP for a temporary error, PROTOCOL for any other SMTP error.
        withoutTls = reply.isTransient() ? Verify.TEMP : Verify.PROTOCOL;
        LOG.info(StartTlsLogLine.failure(StartTlsLogLine.Role.CLIENT, target.relay(), withoutTls, "reply=" + reply));
        if (mandatory()) {
          return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.4",
              "TLS is required, but host " + target.relay() + " refused to start TLS: " + reply), target.relay()));
        }
        LOG.info(queueId + ": host " + target.relay() + " refused to start TLS (" + reply
            + "); continuing in plaintext at level " + level.configName());
        return Future.succeededFuture();
      }
      stage = "performing the TLS handshake";
      cachedSessions = resumption.beforeHandshake();
      return conn.startTls(settings.tlsOptions(), serverName(), settings.starttlsTimeout())
          .onFailure(t -> {
            settings.handshakes().failed();
            LOG.info(StartTlsLogLine.failure(StartTlsLogLine.Role.CLIENT, target.relay(), Verify.SOFTWARE,
                "error=" + Replies.reason(t)));
          })
          .recover(t -> Future.failedFuture(mandatory()
              ? new TargetFailure(Replies.ours(451, "4.7.5",
                  "TLS handshake with " + target.relay() + " failed: " + Replies.reason(t)), target.relay())
              : new BrokenHandshake(Replies.ours(451, "4.7.5",
                  "TLS handshake with " + target.relay() + " failed: " + Replies.reason(t)), target.relay())))
          .compose(this::afterHandshake);
    });
  }

  /** Judges the peer after the handshake, as the level demands; then EHLO again. */
  private Future<Void> afterHandshake(SSLSession session) {
    X509Certificate[] chain = SessionFacts.peerChain(session);
    PeerVerification.Result checked = settings.verification().checkServer(chain);
    TlsaMatch.Result dane = plan.authenticated()
        ? TlsaMatch.check(tlsa, chain, plan.names(), new java.util.Date()) : null;
    // A TLSA match is the verification DANE asks for: ${verify} says OK, as for a trusted CA.
    Verify verify = dane != null ? (dane.matched() ? Verify.OK : Verify.FAIL) : checked.verify();
    tls = SessionFacts.of(session, verify);
    settings.handshakes().succeeded(tls.version(), tls.cipher());
    peer = chain.length > 0 ? chain[0] : null;
    resumed = resumption.resumed(session, cachedSessions);
    String certificate = StartTlsLogLine.certificate(StartTlsLogLine.Role.CLIENT, tls);
    if (certificate != null) {
      LOG.info(certificate);
    }
    LOG.info(StartTlsLogLine.format(StartTlsLogLine.Role.CLIENT, target.relay(), tls)
        + (resumed ? ", resumed=yes" : ""));
    if (dane != null) {
      if (!dane.matched()) {
        LOG.info(queueId + ": host " + target.relay() + ": DANE verification failed: " + dane.problem());
        return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.5", "Server certificate not trusted"
            + " for host " + target.relay() + ": " + dane.problem()), target.relay(), tls));
      }
      LOG.info(queueId + ": host " + target.relay() + ": matched TLSA record " + dane.record().describe()
          + " (" + (dane.record().usage() == Tlsa.DANE_EE ? "DANE-EE" : "DANE-TA") + ") at depth " + dane.depth());
    } else if (level.atLeast(TlsLevel.VERIFY) && verify != Verify.OK) {
      return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.5",
          "Server certificate not verified (verify=" + verify + ") for host " + target.relay()
              + (checked.reason().isEmpty() ? "" : ": " + checked.reason())), target.relay(), tls));
    }
    // Checked here, before AUTH could send a password to a server with the wrong name.
    if (!names.satisfiedBy(peer)) {
      return Future.failedFuture(new TargetFailure(Replies.ours(450, "4.7.5",
          "Server certificate of host " + target.relay() + " does not match " + names.describe()), target.relay(),
          tls));
    }
    LOG.info(ConnectionTrust.line(dane != null || verify == Verify.OK && names.required()
        ? ConnectionTrust.VERIFIED : verify == Verify.OK ? ConnectionTrust.TRUSTED : ConnectionTrust.UNTRUSTED,
        target.relay(), tls));
    // RFC 3207 §4.2: what the server said before TLS may have been forged; ask again.
    capabilities = Capabilities.NONE;
    stage = "performing the EHLO handshake after STARTTLS";
    return conn.command("EHLO " + settings.hostname()).compose(reply -> {
      if (reply.code() != 250) {
        return refused(reply, "EHLO");
      }
      capabilities = Capabilities.parse(reply);
      return Future.succeededFuture();
    });
  }

  /**
   * AUTH PLAIN or LOGIN to a next hop we hold credentials for, and only inside TLS: a password
   * sent in plaintext is a password given away, so without TLS the delivery is deferred instead.
   */
  private Future<Void> authenticate() {
    var login = settings.credentials().forHop(target.host(), target.port());
    if (login.isEmpty()) {
      return Future.succeededFuture();
    }
    if (tls == null) {
      LOG.warning(queueId + ": not sending AUTH to " + target.relay() + " without TLS; deferring");
      return Future.failedFuture(new TargetFailure(Replies.ours(451, "4.7.0",
          "credentials for " + target.relay() + " are sent only over TLS, and this session is plaintext"),
          target.relay()));
    }
    if (!capabilities.has("AUTH")) {
      // Postfix does the same: a relayhost that asks for no AUTH gets the mail without it.
      LOG.info(queueId + ": host " + target.relay() + " offers no AUTH; sending without authentication");
      return Future.succeededFuture();
    }
    String user = login.get().user();
    String password = login.get().password();
    stage = "authenticating";
    if (capabilities.authMechanisms().contains("PLAIN")) {
      String token = b64("\0" + user + "\0" + password);
      return conn.command("AUTH PLAIN " + token).compose(this::authenticated);
    }
    if (capabilities.authMechanisms().contains("LOGIN")) {
      return conn.command("AUTH LOGIN")
          .compose(r -> r.code() == 334 ? conn.command(b64(user)) : Future.succeededFuture(r))
          .compose(r -> r.code() == 334 ? conn.command(b64(password)) : Future.succeededFuture(r))
          .compose(this::authenticated);
    }
    return Future.failedFuture(new TargetFailure(Replies.ours(451, "4.7.0",
        "host " + target.relay() + " offers neither AUTH PLAIN nor LOGIN"), target.relay(), tls));
  }

  private Future<Void> authenticated(Reply reply) {
    if (reply.code() == 235) {
      return Future.succeededFuture();
    }
    return Future.failedFuture(new TargetFailure(Replies.ours(451, "4.7.0",
        "authentication to " + target.relay() + " failed: " + reply), target.relay(), tls));
  }

  /** Ends a session that failed before the transaction, and says why as a target failure. */
  private Future<OpenSession> abandon(Throwable t, Runnable onClose) {
    if (t instanceof BrokenHandshake b) {
      // The retry's connection takes over the slot: the broken one must not free it on closing.
      conn.onClose(() -> {});
      Future<Void> closed = conn.quit();
      long n = brokenTls.failed(target);
      LOG.warning(queueId + ": " + b.reply().text() + "; retrying in plaintext at level " + level.configName()
          + " (TLS handshake failures so far: " + n + ")");
      return closed.compose(v -> new DeliveryAttempt(vertx, client, settings, target, plan, queueId, names,
          brokenTls, resumption, Verify.SOFTWARE).open(onClose));
    }
    conn.quit();
    if (t instanceof TargetFailure) {
      return Future.failedFuture(t);
    }
    return Future.failedFuture(new TargetFailure(Replies.conversationFailed(t, target.relay(), stage),
        target.relay(), tls));
  }

  private Future<Void> refused(Reply reply, String stage) {
    return Future.failedFuture(new TargetFailure(
        Replies.refusalOrProtocolError(reply, stage, target.relay()), target.relay(), tls));
  }

  /** Plaintext is forbidden by the level, or by usable TLSA records (RFC 7672 §2.2). */
  private boolean mandatory() {
    return level.mandatory() || plan.authenticated();
  }

  /** SNI carries host names only (RFC 6066 §3): none for an address. */
  private String serverName() {
    return IpLiterals.isLiteral(target.host()) ? null : target.host();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A handshake that failed at an opportunistic level: retried in plaintext, never reported. */
  private static final class BrokenHandshake extends ReplyFailure {
    BrokenHandshake(Reply reply, String relay) {
      super(reply, relay);
    }
  }
}
