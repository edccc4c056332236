package org.postern.policy;

import java.util.List;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.TlsVerdict;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.config.Cidr;
import org.postern.config.PolicyConfig;
import org.postern.smtp.Reply;

/**
 * The compiled policy: pure functions from a question to an answer, with the rule that decided.
 * Immutable, so a reload swaps one instance for another atomically.
 */
public final class RelayRules {

  static final Reply RCPT_OK = Reply.of(250, "2.1.5", "Ok");

  private final PolicyConfig config;
  private final AccessMap access;

  public RelayRules(PolicyConfig config, AccessMap access) {
    this.config = config;
    this.access = access;
  }

  public SessionPolicy session(SessionCheck q) {
    if (q.listenerRequiresTls()) {
      return new SessionPolicy(Decision.ACCEPT, null, true, "config:inbound.listeners (tls required)");
    }
    AccessMap.ClientTlsRule rule = access.clientTls(q.clientIp());
    if (rule != null) {
      // Any TLS_Clt requirement needs TLS: without STARTTLS nothing can satisfy it.
      return new SessionPolicy(Decision.ACCEPT, null, true, rule.where() + " TLS_Clt " + rule.requirement());
    }
    for (Cidr net : config.tlsRequiredNetworks()) {
      if (net.contains(q.clientIp())) {
        return new SessionPolicy(Decision.ACCEPT, null, true, "config:policy.tls_required_networks " + net);
      }
    }
    return new SessionPolicy(Decision.ACCEPT, null, false, "default:tls-optional");
  }

  public RelayVerdict relay(RelayCheck q) {
    for (Cidr net : config.trustedNetworks()) {
      if (net.contains(q.clientIp())) {
        return new RelayVerdict(Decision.ACCEPT, RCPT_OK, "config:policy.trusted_networks " + net);
      }
    }
    if (q.authUser() != null && config.relayAuthenticated()) {
      return new RelayVerdict(Decision.ACCEPT, RCPT_OK, "config:policy.relay_authenticated (user " + q.authUser() + ")");
    }
    String domain = q.recipient().domainKey();
    String match = matchDomain(domain, config.relayDomains());
    if (match != null) {
      return new RelayVerdict(Decision.ACCEPT, RCPT_OK, "config:policy.relay_domains " + match);
    }
    return new RelayVerdict(Decision.REJECT,
        Reply.of(554, "5.7.1", q.recipient() + ": Relay access denied"), "default:no-open-relay");
  }

  /** sendmail's tls_client: the negotiated TLS against the client's TLS_Clt requirement. */
  public TlsVerdict clientTls(ClientTlsCheck q) {
    AccessMap.ClientTlsRule rule = access.clientTls(q.clientIp());
    if (rule == null) {
      return new TlsVerdict(Decision.ACCEPT, null, "default:no-requirement");
    }
    Reply refusal = rule.requirement().check(q.tls());
    if (refusal == null) {
      return new TlsVerdict(Decision.ACCEPT, null, rule.where() + " TLS_Clt " + rule.requirement());
    }
    return new TlsVerdict(refusal.isPermanent() ? Decision.REJECT : Decision.TEMPFAIL, refusal,
        rule.where() + " TLS_Clt " + rule.requirement());
  }

  public DestinationTls destinationTls(DestinationTlsCheck q) {
    return new DestinationTls(config.destinationTlsLevel(), "config:policy.destination_tls_level");
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
