package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import javax.net.ssl.SSLSession;
import org.postern.config.NextHop;
import org.postern.config.OutboundConfig;
import org.postern.config.StsConfig;
import org.postern.config.TlsConfig;
import org.postern.config.TransportTable;
import org.postern.bus.DestinationTls;
import org.postern.bus.ServerTlsCheck;
import org.postern.outbound.sts.MtaSts;
import org.postern.outbound.sts.StsPolicy;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;
import org.postern.tls.PeerVerification;
import org.postern.tls.SessionFacts;
import org.postern.tls.TlsEngine;

/**
 * Postfix's {@code posttls-finger} for {@code postern tls probe}: routes a destination as delivery
 * would (transport table, MX, implicit MX, or a given {@code [host]:port}), connects to the first
 * address that answers, says EHLO, STARTTLS, EHLO again and QUIT, and reports what it saw. The same
 * connection class, router, trust store, client certificate and name rules as delivery, so the
 * probe cannot judge a next hop differently from the relay; it sends no mail.
 */
public final class TlsProbe {

  /**
   * What the probe saw: {@code attempts} are the addresses that failed before {@code connected},
   * which is null when no address answered with 220.
   */
  public record Report(String destination, String nexthop, List<String> attempts, String connected,
      String hostname, String ip, int port, Reply greeting, Reply ehlo, boolean starttlsOffered, Reply starttls, String tlsError,
      TlsFacts tls, List<X509Certificate> chain, PeerVerification.Result verification, Reply ehloAfterTls,
      DaneVerdict dane, StsVerdict sts) {

    Report withDane(DaneVerdict d) {
      return new Report(destination, nexthop, attempts, connected, hostname, ip, port, greeting, ehlo, starttlsOffered,
          starttls, tlsError, tls, chain, verification, ehloAfterTls, d, sts);
    }

    Report withSts(StsVerdict v) {
      return new Report(destination, nexthop, attempts, connected, hostname, ip, port, greeting, ehlo, starttlsOffered,
          starttls, tlsError, tls, chain, verification, ehloAfterTls, dane, v);
    }

    /** Whether a TLS session was made. */
    public boolean encrypted() {
      return tls != null;
    }

    /**
     * Whether delivery at {@code level} (with the policy's {@code match=} patterns, or the level's
     * defaults when empty) would accept this next hop, and why not. Levels below encrypt always do:
     * they fall back to plaintext.
     */
    public Judgement judge(TlsLevel level, List<String> patterns) {
      if (level == TlsLevel.DANE || level == TlsLevel.DANE_ONLY) {
        return judgeDane(level);
      }
      if (!level.mandatory()) {
        return new Judgement(true, encrypted() ? "TLS, certificate not required" : "plaintext allowed");
      }
      if (!encrypted()) {
        return new Judgement(false, starttlsOffered ? "TLS failed: " + tlsError : "STARTTLS not offered");
      }
      if (level == TlsLevel.ENCRYPT) {
        return new Judgement(true, "TLS, certificate not required");
      }
      if (verification.verify() != Verify.OK) {
        return new Judgement(false, "certificate not verified (verify=" + verification.verify() + ")"
            + (verification.reason().isEmpty() ? "" : ": " + verification.reason()));
      }
      NameMatch names = NameMatch.of(level, patterns, hostname, nexthop);
      X509Certificate leaf = chain.isEmpty() ? null : chain.get(0);
      return names.satisfiedBy(leaf) ? new Judgement(true, "trusted, matches " + names.describe())
          : new Judgement(false, "trusted, but does not match " + names.describe());
    }

    /**
     * Levels dane and dane-only as {@link Dane} and delivery apply them: with usable TLSA records
     * a record must match the chain; without, dane falls back (may, or encrypt when the records
     * exist but none is usable) and dane-only defers.
     */
    private Judgement judgeDane(TlsLevel level) {
      if (dane == null || !dane.usable()) {
        String why = dane == null ? "not looked up" : dane.why();
        if (level == TlsLevel.DANE_ONLY) {
          return new Judgement(false, "no DANE: " + why);
        }
        Judgement fallback = judge(dane != null && dane.fallback() != null ? dane.fallback() : TlsLevel.MAY, List.of());
        return new Judgement(fallback.ok(), "no DANE (" + why + "), so " + fallback.why());
      }
      if (!encrypted()) {
        return new Judgement(false, (starttlsOffered ? "TLS failed: " + tlsError : "STARTTLS not offered")
            + " although TLSA records demand TLS");
      }
      return dane.matched() != null ? new Judgement(true, "matched TLSA record " + dane.matched())
          : new Judgement(false, "TLSA records do not match: " + dane.why());
    }

    /**
     * Whether the domain's MTA-STS policy, as enforce applies it, accepts this host: named in the
     * policy's mx list, and a trusted certificate valid for the host's name. Null without a policy.
     */
    public Judgement judgeSts() {
      if (sts == null) {
        return null;
      }
      if (!sts.mxListed()) {
        return new Judgement(false, "MX host " + hostname + " is not in the policy's mx list");
      }
      Judgement verify = judge(TlsLevel.VERIFY, List.of());
      return new Judgement(verify.ok(), "listed in the policy; " + verify.why());
    }

    /**
     * What delivery would make of this host under the policy's {@code decision}: MTA-STS enforce
     * first where it applies (a default level below dane, mail routed by the domain's own MX
     * records), else the decision's level.
     */
    public Judgement underPolicy(DestinationTls decision) {
      if (sts != null && sts.applies() && sts.mode() == StsPolicy.Mode.ENFORCE && StsGate.appliesTo(decision)) {
        Judgement j = judgeSts();
        return new Judgement(j.ok(), "MTA-STS enforce: " + j.why());
      }
      return judge(decision.level(), decision.match());
    }
  }

  /**
   * What DNSSEC and TLSA records say of the probed host.
   *
   * @param usable whether usable TLSA records exist under DNSSEC (delivery would demand a match)
   * @param why without usable records, why not (as delivery would log it); with them, why none matched
   * @param fallback the level dane falls back to without usable records (may, or encrypt)
   * @param matched the record that matched the chain and at which depth, or null
   */
  public record DaneVerdict(boolean usable, String why, TlsLevel fallback, String matched) {}

  /**
   * The destination's MTA-STS policy.
   *
   * @param applies whether delivery applies it to this destination (routed by its own MX records)
   * @param mxListed whether the probed host is in the policy's mx list
   */
  public record StsVerdict(String policy, StsPolicy.Mode mode, boolean applies, boolean mxListed) {}

  /**
   * The question delivery would put to policy after this STARTTLS step (sendmail's TLS_Srv and
   * TLS_Rcpt), for the recipients {@code rcpts}.
   */
  public static ServerTlsCheck serverCheck(Report r, List<org.postern.smtp.Path> rcpts) {
    X509Certificate leaf = r.chain().isEmpty() ? null : r.chain().get(0);
    Verify verify = r.encrypted() ? r.tls().verify() : r.starttls() == null ? Verify.NONE
        : r.tlsError() != null && r.starttls().code() == 220 ? Verify.SOFTWARE
        : r.starttls().isTransient() ? Verify.TEMP : Verify.PROTOCOL;
    return new ServerTlsCheck(r.destination(), r.hostname(), r.ip(), r.port(), r.tls(), TlsPolicyGate.fingerprint(leaf),
        TlsPolicyGate.names(leaf), rcpts, r.nexthop(), verify);
  }

  /** The DNS names a certificate carries (its subjectAltNames), as policy is told them. */
  public static List<String> names(X509Certificate cert) {
    return TlsPolicyGate.names(cert);
  }

  /** A level's verdict on the probed next hop. */
  public record Judgement(boolean ok, String why) {}

  /** Trust store, client certificate and SSL options, read as delivery reads them. Blocking. */
  public static final class Files {
    private final OutboundFiles files;

    private Files(OutboundFiles files) {
      this.files = files;
    }

    /** @throws IllegalStateException naming the setting and file that cannot be read */
    public static Files load(OutboundConfig config, TlsConfig tls) {
      return new Files(OutboundFiles.load(config, tls));
    }

    public List<String> notes() {
      return files.notes();
    }
  }

  private final Vertx vertx;
  private final OutboundConfig config;
  private final Files files;
  private final TlsEngine engine;
  private final String helo;

  private final int stsHttpsPort;

  public TlsProbe(Vertx vertx, OutboundConfig config, Files files, TlsEngine engine, String helo) {
    this(vertx, config, files, engine, helo, 443);
  }

  /** With MTA-STS policies fetched from another port than 443: tests. */
  public TlsProbe(Vertx vertx, OutboundConfig config, Files files, TlsEngine engine, String helo, int stsHttpsPort) {
    this.vertx = vertx;
    this.config = config;
    this.files = files;
    this.engine = engine;
    this.helo = helo;
    this.stsHttpsPort = stsHttpsPort;
  }

  /**
   * Probes {@code domain} (the recipient domain: routed as delivery routes it), or, when
   * {@code route} is given ({@code [host]:port} or {@code host:port} in the transport table's
   * syntax), that next hop for {@code domain}.
   */
  public Future<Report> probe(String domain, Optional<NextHop> route) {
    TransportTable table = route.map(h -> new TransportTable(Map.of(domain, h))).orElse(config.transport());
    Dns dns = VertxDns.create(vertx, config.dnsServers());
    Router router = new Router(table, dns, new Random());
    String nexthop = router.nexthop(domain);
    NetClient client = vertx.createNetClient(new NetClientOptions()
        .setSsl(false)
        .setSslEngineOptions(engine.options())
        .setConnectTimeout(Math.toIntExact(config.connectTimeout().toMillis())));
    List<String> attempts = new ArrayList<>();
    return router.route(domain)
        .recover(t -> Future.failedFuture(new IllegalStateException("cannot route " + domain + ": "
            + Replies.reason(t))))
        .compose(targets -> first(client, targets, 0, domain, nexthop, attempts))
        .compose(r -> r.connected() == null ? Future.succeededFuture(r)
            : dane(r, nexthop).compose(withDane -> sts(withDane, domain, table, dns)))
        .eventually(() -> client.close().compose(v -> dns.close()));
  }

  /**
   * What level dane would make of the connected host ({@link Dane}, as delivery asks it), and
   * whether its TLSA records match the chain it presented.
   */
  private Future<Report> dane(Report r, String nexthop) {
    Dane dane = new Dane(config.dnssec() ? new DnssecResolver(vertx, config.dnsServers()) : null);
    Target t = new Target(r.hostname(), r.ip(), r.port());
    return dane.plan(TlsLevel.DANE, "probe", nexthop, t).compose(plan -> {
      if (plan.authenticated()) {
        TlsaMatch.Result m = r.encrypted()
            ? TlsaMatch.check(plan.tlsa(), r.chain().toArray(new X509Certificate[0]), plan.names(), new Date())
            : null;
        String matched = m != null && m.matched() ? m.record().describe() + " ("
            + (m.record().usage() == Tlsa.DANE_EE ? "DANE-EE" : "DANE-TA") + ") at depth " + m.depth() : null;
        return Future.succeededFuture(r.withDane(new DaneVerdict(true, m == null ? "no TLS session"
            : m.matched() ? "" : m.problem(), null, matched)));
      }
      // Level dane fell back; dane-only's refusal says why (the resolver has the answers cached).
      return dane.plan(TlsLevel.DANE_ONLY, "probe", nexthop, t).map(p -> "")
          .recover(f -> Future.succeededFuture(f instanceof ReplyFailure rf ? rf.reply().text() : Replies.reason(f)))
          .map(why -> r.withDane(new DaneVerdict(false, why, plan.level(), null)));
    }, failed -> Future.succeededFuture(r.withDane(new DaneVerdict(false,
        failed instanceof ReplyFailure rf ? rf.reply().text() + " (deferred at dane too)" : Replies.reason(failed),
        null, null))));
  }

  /** The domain's MTA-STS policy, fetched as delivery fetches it but kept in memory only. */
  private Future<Report> sts(Report r, String domain, TransportTable table, Dns dns) {
    if (!config.sts().enabled()) {
      return Future.succeededFuture(r);
    }
    StsConfig memoryOnly = new StsConfig(true, config.sts().caFile(), config.sts().fetchTimeout(),
        config.sts().cacheSize(), "");
    return MtaSts.start(vertx, memoryOnly, StsGate.resolver(dns), stsHttpsPort, null)
        .compose(sts -> sts.policy(domain).eventually(sts::close))
        .map(found -> found.map(p -> r.withSts(new StsVerdict(p.describe(), p.mode(),
            StsGate.mxRouted(table, domain), p.matches(r.hostname())))).orElse(r));
  }

  /** Tries the targets in order until one greets with 220. */
  private Future<Report> first(NetClient client, List<Target> targets, int i, String domain, String nexthop,
      List<String> attempts) {
    if (i == targets.size()) {
      return Future.succeededFuture(new Report(domain, nexthop, attempts, null, null, null, 0, null, null, false, null,
          null, null, List.of(), null, null, null, null));
    }
    Target t = targets.get(i);
    return client.connect(t.port(), t.ip())
        .compose(socket -> {
          SmtpClientConnection conn = new SmtpClientConnection(vertx, socket, config.commandTimeout());
          return conn.read().compose(greeting -> {
            if (greeting.code() != 220) {
              attempts.add(t.relay() + ": greeting " + greeting.code() + " " + greeting.text());
              return conn.quit().map(v -> (Report) null);
            }
            return session(conn, t, greeting, domain, nexthop, attempts);
          }).recover(e -> conn.close().map(v -> {
            attempts.add(t.relay() + ": " + Replies.reason(e));
            return (Report) null;
          }));
        }, e -> {
          attempts.add(t.relay() + ": connect failed: " + Replies.reason(e));
          return Future.succeededFuture(null);
        })
        .compose(r -> r != null ? Future.succeededFuture(r) : first(client, targets, i + 1, domain, nexthop,
            attempts));
  }

  private Future<Report> session(SmtpClientConnection conn, Target t, Reply greeting, String domain,
      String nexthop, List<String> attempts) {
    return conn.command("EHLO " + helo).compose(ehlo -> {
      Capabilities caps = ehlo.code() == 250 ? Capabilities.parse(ehlo) : Capabilities.NONE;
      if (!caps.has("STARTTLS")) {
        return conn.quit().map(v -> new Report(domain, nexthop, attempts, t.relay(), t.host(), t.ip(), t.port(), greeting, ehlo,
            false, null, null, null, List.of(), null, null, null, null));
      }
      return conn.command("STARTTLS", config.starttlsTimeout()).compose(reply -> {
        if (reply.code() != 220) {
          return conn.quit().map(v -> new Report(domain, nexthop, attempts, t.relay(), t.host(), t.ip(), t.port(), greeting, ehlo,
              true, reply, "STARTTLS refused: " + reply.code() + " " + reply.text(), null, List.of(), null, null, null, null));
        }
        String sni = org.postern.config.IpLiterals.isLiteral(t.host()) ? null : t.host();
        return conn.startTls(files.files.tlsOptions(), sni, config.starttlsTimeout())
            .compose(ssl -> afterHandshake(conn, t, greeting, ehlo, reply, ssl, domain, nexthop, attempts),
                e -> conn.close().map(v -> new Report(domain, nexthop, attempts, t.relay(), t.host(), t.ip(), t.port(), greeting,
                    ehlo, true, reply, Replies.reason(e), null, List.of(), null, null, null, null)));
      });
    });
  }

  private Future<Report> afterHandshake(SmtpClientConnection conn, Target t, Reply greeting, Reply ehlo,
      Reply starttls, SSLSession ssl, String domain, String nexthop, List<String> attempts) {
    X509Certificate[] chain = SessionFacts.peerChain(ssl);
    PeerVerification.Result checked = files.files.verification().checkServer(chain);
    TlsFacts facts = SessionFacts.of(ssl, checked.verify());
    return conn.command("EHLO " + helo)
        .recover(e -> Future.succeededFuture(null))
        .compose(after -> conn.quit().map(v -> new Report(domain, nexthop, attempts, t.relay(), t.host(), t.ip(), t.port(),
            greeting, ehlo, true, starttls, null, facts, List.of(chain), checked, after, null, null)));
  }
}
