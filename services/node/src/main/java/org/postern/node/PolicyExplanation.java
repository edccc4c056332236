package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SenderVerdict;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.IpLiterals;
import org.postern.policy.DistinguishedName;
import org.postern.policy.PolicyEngine;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * Every decision policy makes for a described session, with the rule that made it: what
 * {@code postern policy explain} prints and the admin page's policy form shows. Pure: the engine
 * answers from its compiled model, so the same session gets the same steps from both.
 *
 * @param client the client's address (an IP literal)
 * @param clientName its host name, or null
 * @param tls the client's TLS as {@code version=... cipher_bits=... verify=...}, or null for plaintext
 * @param auth the authenticated user, or null
 * @param mail MAIL FROM, {@code <>} for the null sender
 * @param rcpts RCPT TO, at least one
 * @param server a next hop for the first recipient's domain, or null to stop at the destination level
 * @param serverIp the next hop's address, or null
 * @param serverTls the next hop's TLS as {@code tls}, {@code verify=TEMP|PROTOCOL|SOFTWARE}, or null
 */
record PolicyExplanation(String client, String clientName, String helo, String tls, String auth, String mail,
    List<String> rcpts, String server, String serverIp, int port, String serverTls) {

  /** One decision: the point of the session, what was judged, the answer and the deciding rule. */
  record Step(String point, String subject, String answer, String rule) {
    JsonObject toJson() {
      return new JsonObject().put("point", point).put("subject", subject).put("answer", answer).put("rule", rule);
    }
  }

  PolicyExplanation {
    rcpts = rcpts == null ? List.of() : List.copyOf(rcpts);
    helo = helo == null || helo.isBlank() ? "client.invalid" : helo;
    mail = mail == null || mail.isBlank() ? "sender@example.org" : mail;
  }

  /** The steps as {@code {"steps": [{point, subject, answer, rule}]}}. */
  static JsonObject toJson(List<Step> steps) {
    JsonArray a = new JsonArray();
    steps.forEach(s -> a.add(s.toJson()));
    return new JsonObject().put("steps", a);
  }

  /** @throws IllegalArgumentException naming the input that cannot be read */
  List<Step> explain(PolicyEngine engine) {
    List<Step> steps = new ArrayList<>();
    if (client == null || !IpLiterals.isLiteral(client)) {
      throw new IllegalArgumentException("--client must be an IP address, got '" + client + "'");
    }
    if (rcpts.isEmpty()) {
      throw new IllegalArgumentException("--rcpt: give at least one recipient");
    }
    TlsFacts facts = facts("--tls", tls);
    SessionPolicy s = engine.session(new SessionCheck(client, clientName, false));
    steps.add(new Step("connect", "[" + client + "]" + (clientName == null ? "" : " " + clientName),
        s.decision() + (s.reply() == null ? "" : " " + s.reply()) + ", STARTTLS required: "
            + (s.requireTls() ? "yes" : "no"), s.rule()));
    String[] features = engine.serverFeatures(clientName, client).split(" / ", 2);
    steps.add(new Step("srv_features", "[" + client + "]" + (clientName == null ? "" : " " + clientName), features[0], features[1]));
    if (facts != null) {
      TlsVerdict t = engine.clientTls(new ClientTlsCheck(client, clientName, facts));
      steps.add(new Step("tls_client", facts.version() + " bits=" + facts.cipherBits() + " verify=" + facts.verify(),
          t.decision() + (t.reply() == null ? "" : " " + t.reply()), t.rule()));
    } else {
      steps.add(new Step("tls_client", "no STARTTLS", s.requireTls() ? "commands get 530 5.7.0 Must issue a STARTTLS command first"
          : "nothing to judge", s.rule()));
    }
    org.postern.smtp.Path sender = mail.equals("<>") ? org.postern.smtp.Path.NULL
        : org.postern.smtp.Path.parseMailbox(mail);
    SenderVerdict m = engine.sender(new MailCheck(client, clientName, helo, facts, auth, sender));
    steps.add(new Step("mail", sender.toString(), m.decision() + (m.reply() == null ? "" : " " + m.reply()), m.rule()));
    List<org.postern.smtp.Path> to = new ArrayList<>();
    for (String r : rcpts) {
      org.postern.smtp.Path rcpt = org.postern.smtp.Path.parseMailbox(r);
      to.add(rcpt);
      RelayVerdict v = engine.relay(new RelayCheck(client, clientName, helo, facts, auth, sender, rcpt));
      steps.add(new Step("relay", rcpt.toString(), v.decision() + " " + v.reply(), v.rule()));
    }
    String domain = to.get(0).domainKey();
    DestinationTls d = engine.destinationTls(new DestinationTlsCheck(domain));
    steps.add(new Step("destination", domain, "level " + d.level().configName() + daneNote(d.level()), d.rule()));
    if (server == null || server.isBlank()) {
      return steps;
    }
    String ip = serverIp != null ? serverIp : IpLiterals.isLiteral(server) ? server : "0.0.0.0";
    DestinationTls target = engine.targetTls(new TargetTlsCheck(domain, server, ip, port));
    steps.add(new Step("try_tls", server + "[" + ip + "]:" + port, "level " + target.level().configName()
        + (target.level() == org.postern.smtp.TlsLevel.NONE ? " (no STARTTLS)" : daneNote(target.level())),
        target.rule()));
    Verify noSession = withoutSession(serverTls);
    TlsFacts sf = noSession != null ? null : facts("--server-tls", serverTls);
    Verify verify = sf != null ? sf.verify() : noSession != null ? noSession : Verify.NONE;
    ServerTlsVerdict sv = engine.serverTls(new ServerTlsCheck(domain, server, ip, port, sf, null,
        sf == null || sf.cnSubject().isEmpty() ? List.of() : List.of(sf.cnSubject()), to, null, verify));
    steps.add(new Step("tls_server", sf != null ? sf.version() + " bits=" + sf.cipherBits() + " verify=" + sf.verify()
        : verify == Verify.NONE ? "no STARTTLS" : "no TLS session, verify=" + verify,
        sv.session().decision() + (sv.session().reply() == null ? "" : " " + sv.session().reply()),
        sv.session().rule()));
    for (int i = 0; i < to.size(); i++) {
      TlsVerdict r = sv.recipients().get(i);
      steps.add(new Step("tls_rcpt", to.get(i).toString(), r.decision() + (r.reply() == null ? "" : " " + r.reply()), r.rule()));
    }
    return steps;
  }

  /**
   * The {@code ${verify}} of a STARTTLS step that gave no session ({@code verify=TEMP},
   * {@code PROTOCOL}, {@code SOFTWARE} or {@code NONE} alone), or null when {@code text}
   * describes a session or nothing.
   */
  static Verify withoutSession(String text) {
    if (text == null) {
      return null;
    }
    String t = text.strip();
    if (!t.regionMatches(true, 0, "verify=", 0, 7) || t.contains(" ")) {
      return null;
    }
    for (Verify v : ServerTlsCheck.WITHOUT_TLS) {
      if (v.name().equalsIgnoreCase(t.substring(7))) {
        return v;
      }
    }
    return null;
  }

  /** {@code version=TLSv1.3 cipher_bits=256 verify=OK cert_subject=... cert_issuer=...}, or null for none. */
  static TlsFacts facts(String option, String text) {
    if (text == null || text.isBlank() || text.strip().equalsIgnoreCase("none")) {
      return null;
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (String word : text.strip().split("\\s+")) {
      int eq = word.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(option + ": expected key=value words, got '" + word + "'");
      }
      kv.put(word.substring(0, eq).toLowerCase(Locale.ROOT), word.substring(eq + 1));
    }
    for (String k : kv.keySet()) {
      if (!List.of("version", "cipher", "cipher_bits", "verify", "cert_subject", "cert_issuer").contains(k)) {
        throw new IllegalArgumentException(option + ": unknown key '" + k
            + "' (keys: version, cipher, cipher_bits, verify, cert_subject, cert_issuer)");
      }
    }
    int bits;
    try {
      bits = Integer.parseInt(kv.getOrDefault("cipher_bits", "256"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": cipher_bits must be a number");
    }
    Verify verify;
    try {
      verify = Verify.valueOf(kv.getOrDefault("verify", "NO").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": verify must be OK, NO, NOT, FAIL, NONE, TEMP, PROTOCOL or"
          + " SOFTWARE");
    }
    if (ServerTlsCheck.WITHOUT_TLS.contains(verify)) {
      throw new IllegalArgumentException(option + ": verify=" + verify + " means STARTTLS gave no TLS session, so"
          + " there are no version, cipher or certificate to describe"
          + (option.equals("--server-tls") ? "; give verify=" + verify + " alone" : "; it applies to --server-tls"));
    }
    DistinguishedName subject = kv.containsKey("cert_subject") ? DistinguishedName.parse(kv.get("cert_subject")) : null;
    DistinguishedName issuer = kv.containsKey("cert_issuer") ? DistinguishedName.parse(kv.get("cert_issuer")) : null;
    return new TlsFacts(kv.getOrDefault("version", "TLSv1.3"), kv.getOrDefault("cipher", "TLS_AES_256_GCM_SHA384"),
        bits, Math.max(bits, 0), verify, subject == null ? "" : subject.rfc2253(),
        issuer == null ? "" : issuer.rfc2253(), subject == null ? "" : subject.commonName(),
        issuer == null ? "" : issuer.commonName());
  }

  /** What outbound makes of a DANE level, which policy cannot know: it depends on DNSSEC and TLSA records. */
  private static String daneNote(org.postern.smtp.TlsLevel level) {
    return switch (level) {
      case DANE -> " (outbound: DANE with usable TLSA records under DNSSEC, else may)";
      case DANE_ONLY -> " (outbound: DANE with usable TLSA records under DNSSEC, else deferred)";
      default -> "";
    };
  }
}
