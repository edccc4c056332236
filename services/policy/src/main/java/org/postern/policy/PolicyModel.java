package org.postern.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.smtp.Path;

/**
 * Every rule of the policy files, compiled into lookup tables: sendmail's access map and
 * Postfix's TLS policy map end up here side by side, each rule with its {@code file:line}.
 * Immutable once built, so a reload replaces the whole model in one reference swap and a
 * question is always answered by one consistent model.
 */
public final class PolicyModel {

  private final Builder b;
  private final List<String> sources;

  private PolicyModel(Builder b, List<String> sources) {
    this.b = b;
    this.sources = List.copyOf(sources);
  }

  /** A model with no rules: every question gets the documented default. */
  public static PolicyModel empty() {
    return new PolicyModel(new Builder(), List.of());
  }

  /**
   * Compiles the files together. Any problem in any of them refuses the lot, listing every
   * problem as {@code file:line: reason}.
   */
  public static PolicyModel compile(List<PolicyFile> files) throws PolicyFileException {
    Builder b = new Builder();
    List<String> problems = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (PolicyFile f : files) {
      names.add(f.name());
      problems.addAll(switch (f.kind()) {
        case ACCESS_MAP -> AccessMap.compileInto(b, f.name(), f.text());
        case TLS_POLICY_MAP -> TlsPolicyMap.compileInto(b, f.name(), f.text());
      });
    }
    if (!problems.isEmpty()) {
      throw new PolicyFileException(problems);
    }
    return new PolicyModel(b, names);
  }

  /** The files this model was compiled from. */
  public List<String> sources() {
    return sources;
  }

  /** How many rules of each kind, in a fixed order, for {@code policy check} and the reload log. */
  public Map<String, Integer> counts() {
    Map<String, Integer> c = new LinkedHashMap<>();
    c.put("TLS_Clt", b.tlsClt.size());
    c.put("TLS_Srv", b.tlsSrv.size());
    c.put("TLS_Rcpt", b.tlsRcpt.size());
    c.put("Try_TLS", b.tryTls.size());
    c.put("CERTISSUER", b.certIssuer.size());
    c.put("CERTSUBJECT", b.certSubject.size());
    c.put("Connect", b.connect.size());
    c.put("Srv_Features", b.srvFeatures.size() + (b.srvFeaturesDefault == null ? 0 : 1));
    c.put("To", b.to.size());
    c.put("From", b.from.size());
    c.put("destinations", b.destinations.size());
    return c;
  }

  /**
   * The rules that only a client certificate can satisfy or match: TLS_Clt requirements with
   * VERIFY, CN, CS or CI, and every CERTISSUER and CERTSUBJECT entry; in file and line order.
   */
  public List<Rule<?>> clientCertificateRules() {
    List<Rule<?>> out = new ArrayList<>();
    for (Rule<TlsRequirement> r : b.tlsClt.rules()) {
      TlsRequirement t = r.value();
      if (t.verify() || t.cn() != null || t.subject() != null || t.issuer() != null) {
        out.add(r);
      }
    }
    out.addAll(b.certIssuer.values());
    out.addAll(b.certSubject.values());
    out.sort(java.util.Comparator.comparing((Rule<?> r) -> r.where().substring(0, Math.max(0, r.where().lastIndexOf(':'))))
        .thenComparingInt(r -> lineOf(r.where())));
    return out;
  }

  /**
   * The TLS policy map's entries (Postfix's smtp_tls_policy_maps), in file order: the outbound
   * levels by destination that the admin page shows.
   */
  public List<Rule<DestinationRule>> destinationRules() {
    return b.destinations.rules();
  }

  static int lineOf(String where) {
    try {
      return Integer.parseInt(where.substring(where.lastIndexOf(':') + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * What loaded but deserves the operator's eye, as {@code file:line: reason}: sendmail's
   * Srv_Features letters that have no effect here.
   */
  public List<String> warnings() {
    return List.copyOf(b.warnings);
  }

  public int size() {
    return counts().values().stream().mapToInt(Integer::intValue).sum();
  }

  Rule<TlsRequirement> tlsClt(String clientName, String clientIp) {
    return b.tlsClt.find(clientName, clientIp);
  }

  Rule<TlsRequirement> tlsSrv(String host, String ip) {
    return b.tlsSrv.find(host, ip);
  }

  Rule<TlsRequirement> tlsRcpt(Path recipient) {
    return b.tlsRcpt.find(recipient);
  }

  Rule<Boolean> tryTls(String host, String ip) {
    return b.tryTls.find(host, ip);
  }

  Rule<Access> connect(String clientName, String clientIp) {
    return b.connect.find(clientName, clientIp);
  }

  /** The client's Srv_Features entry (by name, then address), else the bare default entry, else null. */
  Rule<ServerFeatures> srvFeatures(String clientName, String clientIp) {
    Rule<ServerFeatures> r = b.srvFeatures.find(clientName, clientIp);
    return r != null ? r : b.srvFeaturesDefault;
  }

  Rule<Access> to(Path recipient) {
    return b.to.find(recipient);
  }

  Rule<Access> from(Path sender) {
    return b.from.find(sender);
  }

  Rule<Access> certIssuer(String issuerRfc2253) {
    DistinguishedName dn = DistinguishedName.ofSession(issuerRfc2253);
    return dn == null ? null : b.certIssuer.get(dn);
  }

  Rule<Access> certSubject(String subjectRfc2253) {
    DistinguishedName dn = DistinguishedName.ofSession(subjectRfc2253);
    return dn == null ? null : b.certSubject.get(dn);
  }

  Rule<DestinationRule> destination(String domain, String host, String ip, Integer port) {
    return b.destinations.find(domain, host, ip, port);
  }

  /** The tables while a model is being compiled; never visible once the model exists. */
  static final class Builder {
    final HostTable<TlsRequirement> tlsClt = new HostTable<>();
    final HostTable<TlsRequirement> tlsSrv = new HostTable<>();
    final RecipientTable<TlsRequirement> tlsRcpt = new RecipientTable<>();
    final HostTable<Boolean> tryTls = new HostTable<>();
    final HostTable<Access> connect = new HostTable<>();
    final HostTable<ServerFeatures> srvFeatures = new HostTable<>();
    Rule<ServerFeatures> srvFeaturesDefault;
    final List<String> warnings = new ArrayList<>();
    final RecipientTable<Access> to = new RecipientTable<>();
    /** Senders are keyed as recipients are: address, domain and parents, user@. */
    final RecipientTable<Access> from = new RecipientTable<>();
    final Map<DistinguishedName, Rule<Access>> certIssuer = new HashMap<>();
    final Map<DistinguishedName, Rule<Access>> certSubject = new HashMap<>();
    final DestinationTable destinations = new DestinationTable();

    void srvFeaturesDefault(Rule<ServerFeatures> rule) {
      if (srvFeaturesDefault != null) {
        throw new IllegalArgumentException("'Srv_Features:' is already given at " + srvFeaturesDefault.where());
      }
      srvFeaturesDefault = rule;
    }

    void addCert(Map<DistinguishedName, Rule<Access>> table, DistinguishedName dn, Rule<Access> rule) {
      Rule<Access> before = table.putIfAbsent(dn, rule);
      if (before != null) {
        throw new IllegalArgumentException("'" + dn + "' is already given at " + before.where());
      }
    }
  }
}
