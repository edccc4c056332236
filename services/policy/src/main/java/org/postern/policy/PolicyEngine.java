package org.postern.policy;

import java.util.ArrayList;
import java.util.List;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.SenderVerdict;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.Cidr;
import org.postern.config.PolicyConfig;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/**
 * The decision points of sendmail's STARTTLS rule sets, and its relay checks, as pure functions
 * from a question to an answer that names the rule that decided: {@code file:line} and the
 * entry, or {@code config:<key>}, or {@code default:<what>}. No state is kept between questions.
 *
 * <p>Host-name keys ({@code TLS_Clt:desktop.example.net}, {@code Connect:host}) need the client's
 * name: the questions carry the forward-confirmed name inbound found at connect, or null when it
 * is unknown (then only address and network keys can match).
 */
public final class PolicyEngine {

  static final Reply RCPT_OK = Reply.of(250, "2.1.5", "Ok");

  private final PolicyConfig config;
  private final PolicyModel model;

  public PolicyEngine(PolicyConfig config, PolicyModel model) {
    this.config = config;
    this.model = model;
  }

  public PolicyModel model() {
    return model;
  }

  /**
   * At connect: may the client talk to us, must it STARTTLS first, and (sendmail's
   * {@code Srv_Features:}) is STARTTLS offered to it and is it asked for a certificate? One
   * question, so the features cost no extra round trip.
   */
  public SessionPolicy session(SessionCheck q) {
    SessionPolicy p = admission(q);
    if (p.decision() != Decision.ACCEPT) {
      return p;
    }
    Rule<ServerFeatures> f = model.srvFeatures(q.clientName(), q.clientIp());
    return f == null ? p : new SessionPolicy(p.decision(), p.reply(), p.requireTls(), p.rule(), f.value().offerTls(),
        f.value().requestCert(), f.name());
  }

  /** The client's Srv_Features letters for S and V ({@code s v} by default) and the entry that set them. */
  public String serverFeatures(String clientName, String clientIp) {
    Rule<ServerFeatures> f = model.srvFeatures(clientName, clientIp);
    return f == null ? ServerFeatures.DEFAULT.describe() + " / default:no Srv_Features entry"
        : f.value().describe() + " / " + f.name();
  }

  private SessionPolicy admission(SessionCheck q) {
    String clientName = q.clientName();
    Rule<Access> connect = model.connect(clientName, q.clientIp());
    if (connect != null && connect.value() == Access.REJECT) {
      return new SessionPolicy(Decision.REJECT, Reply.of(554, "5.7.1", "Access denied"), false, connect.name());
    }
    if (q.listenerRequiresTls()) {
      return new SessionPolicy(Decision.ACCEPT, null, true, "config:inbound.listeners (tls required)");
    }
    Rule<TlsRequirement> clt = model.tlsClt(clientName, q.clientIp());
    if (clt != null) {
      // Any TLS_Clt requirement needs TLS: without STARTTLS nothing can satisfy it.
      return new SessionPolicy(Decision.ACCEPT, null, true, clt.name());
    }
    for (Cidr net : config.tlsRequiredNetworks()) {
      if (net.contains(q.clientIp())) {
        return new SessionPolicy(Decision.ACCEPT, null, true, "config:policy.tls_required_networks " + net);
      }
    }
    return new SessionPolicy(Decision.ACCEPT, null, false,
        connect != null ? connect.name() : "default:opportunistic (no rule requires TLS)");
  }

  /** sendmail's tls_client: the negotiated TLS against the client's TLS_Clt requirement. */
  public TlsVerdict clientTls(ClientTlsCheck q) {
    String clientName = q.clientName();
    Rule<TlsRequirement> rule = model.tlsClt(clientName, q.clientIp());
    if (rule == null) {
      return new TlsVerdict(Decision.ACCEPT, null, "default:opportunistic (no TLS_Clt entry)");
    }
    return verdict(rule.value().check(q.tls(), clientName), rule.name());
  }

  /** At RCPT: may this client, in this session, send to this recipient? Never an open relay. */
  public RelayVerdict relay(RelayCheck q) {
    Rule<Access> to = model.to(q.recipient());
    if (to != null && to.value() == Access.REJECT) {
      return new RelayVerdict(Decision.REJECT,
          Reply.of(550, "5.7.1", q.recipient() + ": Recipient address rejected: Access denied"), to.name());
    }
    if (to != null) {
      return mayRelayAnywhere(q) == null && refusesRouting(q.recipient()) ? routingRefused(q)
          : new RelayVerdict(Decision.ACCEPT, RCPT_OK, to.name());
    }
    String anywhere = mayRelayAnywhere(q);
    if (anywhere != null) {
      return new RelayVerdict(Decision.ACCEPT, RCPT_OK, anywhere);
    }
    String match = matchDomain(q.recipient().domainKey(), config.relayDomains());
    if (match != null) {
      return refusesRouting(q.recipient()) ? routingRefused(q)
          : new RelayVerdict(Decision.ACCEPT, RCPT_OK, "config:policy.relay_domains " + match);
    }
    return new RelayVerdict(Decision.REJECT,
        Reply.of(554, "5.7.1", q.recipient() + ": Relay access denied"), "default:no-open-relay");
  }

  /**
   * Postfix's allow_untrusted_routing = no: an address of a domain we relay to may still name
   * another destination in its local part ({@code user%elsewhere@}, {@code elsewhere!user@},
   * {@code "user@elsewhere"@}), which the domain's next hop may honour and relay onward, so only
   * clients that may relay anywhere may use one.
   */
  private boolean refusesRouting(Path recipient) {
    if (config.allowUntrustedRouting()) {
      return false;
    }
    String local = recipient.localPart();
    return local.indexOf('%') >= 0 || local.indexOf('!') >= 0 || local.indexOf('@') >= 0;
  }

  private static RelayVerdict routingRefused(RelayCheck q) {
    return new RelayVerdict(Decision.REJECT, Reply.of(554, "5.7.1", q.recipient() + ": Relay access denied"),
        "config:policy.allow_untrusted_routing=no (sender-specified routing: " + q.recipient().localPart() + ")");
  }

  /** The rule that lets this client relay to any destination, or null when none does. */
  private String mayRelayAnywhere(RelayCheck q) {
    Rule<Access> connect = model.connect(q.clientName(), q.clientIp());
    if (connect != null && connect.value() == Access.RELAY) {
      return connect.name();
    }
    if (q.tls() != null && q.tls().verify() == Verify.OK) {
      // Only a verified certificate says who the client is (sendmail requires ${verify} = OK too).
      Rule<Access> cert = model.certSubject(q.tls().certSubject());
      if (cert == null) {
        cert = model.certIssuer(q.tls().certIssuer());
      }
      if (cert != null) {
        return cert.name();
      }
    }
    for (Cidr net : config.trustedNetworks()) {
      if (net.contains(q.clientIp())) {
        return "config:policy.trusted_networks " + net;
      }
    }
    if (q.authUser() != null && config.relayAuthenticated()) {
      return "config:policy.relay_authenticated (user " + q.authUser() + ")";
    }
    return null;
  }

  /**
   * At MAIL: sendmail's {@code From:} entries for the sender (the address, its domain and parent
   * domains, {@code user@}). {@code REJECT} gets sendmail's reply; {@code OK} and no entry go on.
   */
  public SenderVerdict sender(MailCheck q) {
    Rule<Access> from = q.sender().isNull() ? null : model.from(q.sender());
    if (from == null) {
      return new SenderVerdict(Decision.ACCEPT, null, "default:no From entry");
    }
    if (from.value() == Access.REJECT) {
      return new SenderVerdict(Decision.REJECT, Reply.of(550, "5.7.1", q.sender() + "... Access denied"), from.name());
    }
    return new SenderVerdict(Decision.ACCEPT, null, from.name());
  }

  /** The level for a destination domain, before any next hop is known. */
  public DestinationTls destinationTls(DestinationTlsCheck q) {
    Rule<DestinationRule> r = model.destination(q.domain(), null, null, null);
    return r != null ? new DestinationTls(r.value().level(), r.name()) : defaultLevel();
  }

  /** try_tls and the level for one next-hop address, before connecting to it. */
  public DestinationTls targetTls(TargetTlsCheck q) {
    Rule<DestinationRule> dest = model.destination(q.domain(), q.host(), q.ip(), q.port());
    if (dest != null && dest.value().level().mandatory()) {
      // A mandatory level outranks Try_TLS NO: never fall back below what a rule requires.
      return answer(dest);
    }
    Rule<Boolean> tryTls = model.tryTls(q.host(), q.ip());
    if (tryTls != null && !tryTls.value()) {
      return new DestinationTls(TlsLevel.NONE, tryTls.name());
    }
    if (dest != null) {
      return answer(dest);
    }
    Rule<TlsRequirement> srv = model.tlsSrv(host(q.host()), q.ip());
    if (srv != null && !config.destinationTlsLevel().atLeast(TlsLevel.MAY)) {
      // The requirement is judged after the STARTTLS step; it can only be met if we try.
      return new DestinationTls(TlsLevel.MAY, srv.name());
    }
    return defaultLevel();
  }

  /** tls_server, TLS_connection and tls_rcpt: the finished STARTTLS step against every rule that applies. */
  public ServerTlsVerdict serverTls(ServerTlsCheck q) {
    String host = host(q.host());
    TlsVerdict session = null;
    List<String> applied = new ArrayList<>();
    Rule<DestinationRule> dest = model.destination(q.domain(), q.host(), q.ip(), q.port());
    if (dest != null) {
      Reply refusal = dest.value().check(q.tls(), q.peerFingerprint(), q.peerNames(), q.nexthop(), q.host());
      if (refusal != null) {
        session = new TlsVerdict(Decision.TEMPFAIL, refusal, dest.name());
      }
      applied.add(dest.name());
    }
    Rule<TlsRequirement> srv = model.tlsSrv(host, q.ip());
    if (session == null && srv != null) {
      Reply refusal = srv.value().check(q.tls(), q.verify(), host);
      if (refusal != null) {
        session = verdict(refusal, srv.name());
      }
      applied.add(srv.name());
    }
    if (session == null) {
      session = new TlsVerdict(Decision.ACCEPT, null,
          applied.isEmpty() ? "default:opportunistic (no TLS_Srv or policy entry)" : String.join("; ", applied));
    }
    List<TlsVerdict> recipients = new ArrayList<>();
    for (Path rcpt : q.recipients()) {
      Rule<TlsRequirement> r = model.tlsRcpt(rcpt);
      recipients.add(r == null ? new TlsVerdict(Decision.ACCEPT, null, "default:no TLS_Rcpt entry")
          : verdict(r.value().check(q.tls(), q.verify(), host), r.name()));
    }
    return new ServerTlsVerdict(session, recipients);
  }

  /**
   * A policy entry's level with its match= names, which outbound checks right after the handshake
   * (before AUTH sends a password); a fingerprint's pins are checked here, in {@link #serverTls}.
   */
  private static DestinationTls answer(Rule<DestinationRule> dest) {
    DestinationRule d = dest.value();
    return new DestinationTls(d.level(), dest.name(), d.fingerprint() ? List.of() : d.match());
  }

  private DestinationTls defaultLevel() {
    return new DestinationTls(config.destinationTlsLevel(),
        DestinationTls.DEFAULT_RULE + "=" + config.destinationTlsLevel().configName());
  }

  private static TlsVerdict verdict(Reply refusal, String rule) {
    if (refusal == null) {
      return new TlsVerdict(Decision.ACCEPT, null, rule);
    }
    return new TlsVerdict(refusal.isPermanent() ? Decision.REJECT : Decision.TEMPFAIL, refusal, rule);
  }

  /** A host name to match against name keys; an address literal matches address keys only. */
  private static String host(String host) {
    return org.postern.config.IpLiterals.isLiteral(host) ? null : host;
  }

  /**
   * The relay-domains entry matching {@code domain}: an exact entry, or an entry with a leading
   * dot matching any subdomain (Postfix's parent-domain notation), or null.
   */
  static String matchDomain(String domain, List<String> entries) {
    for (String e : entries) {
      if (e.startsWith(".") ? domain.endsWith(e) : domain.equals(e)) {
        return e;
      }
    }
    return null;
  }
}
