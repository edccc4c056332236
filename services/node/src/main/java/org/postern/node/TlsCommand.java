package org.postern.node;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.postern.bus.Decision;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.NextHop;
import org.postern.config.PosternConfig;
import org.postern.outbound.TlsProbe;
import org.postern.policy.PolicyEngine;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsLevel;
import org.postern.tls.Fingerprints;
import org.postern.tls.TlsEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern tls probe DESTINATION}: Postfix's posttls-finger. Connects to a destination as
 * delivery would, with delivery's own code and trust store, and prints what the next hop offers,
 * its certificate chain, which TLS levels it satisfies, and what this configuration's policy would
 * do with it. It sends no mail and needs no running node.
 */
@Command(name = "tls", mixinStandardHelpOptions = true, description = "Look at TLS from the outside.",
    subcommands = {TlsCommand.Probe.class})
final class TlsCommand extends CommandGroup {

  @Command(name = "probe", mixinStandardHelpOptions = true,
      description = "Connect to a destination as delivery would (MX lookup, or [host]:port), say EHLO and STARTTLS,"
          + " and print the offer, the certificate chain, the verdict at every TLS level and the policy's decision."
          + " Exit 0 when policy would deliver there, 1 when it would not or nothing answered, 2 on usage errors.")
  static final class Probe implements Callable<Integer> {

    @Parameters(paramLabel = "DESTINATION", description = "A recipient domain (routed as delivery routes it:"
        + " transport table, MX, implicit MX), or a next hop: [host], [host]:port (no MX lookup), host:port.")
    String destination;

    @Option(names = "--domain", paramLabel = "DOMAIN", description = "The recipient domain policy decides for when"
        + " DESTINATION is a next hop (default: its host).")
    String domain;

    @Option(names = "--rcpt", paramLabel = "ADDR", description = "A recipient for TLS_Rcpt rules (default:"
        + " postmaster@DOMAIN); repeatable.")
    List<String> rcpts = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file: DNS servers, transport"
        + " table, trust store, client certificate, policy files, node.hostname for EHLO.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--helo", paramLabel = "NAME", description = "EHLO name (default: node.hostname).")
    String helo;

    @Option(names = "--json", description = "One JSON object instead of text.")
    boolean json;

    /** Tests serve MTA-STS policies on a free port; the RFC's is 443. */
    @Option(names = "--mta-sts-port", hidden = true, defaultValue = "443")
    int stsPort;

    @Override
    public Integer call() {
      PosternConfig cfg;
      try {
        cfg = ConfigLoader.load(config, sets);
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.err.println("postern: configuration error: " + p));
        return 2;
      }
      String dest = destination.strip();
      boolean hop = dest.startsWith("[") || dest.contains(":");
      Optional<NextHop> route;
      try {
        route = hop ? Optional.of(NextHop.parse(dest)) : Optional.empty();
      } catch (IllegalArgumentException e) {
        System.err.println("postern: tls probe: " + e.getMessage());
        return 2;
      }
      String forDomain = domain != null ? domain : route.map(NextHop::host).orElse(dest);
      List<org.postern.smtp.Path> recipients = new ArrayList<>();
      try {
        for (String r : rcpts.isEmpty() ? List.of("postmaster@" + forDomain) : rcpts) {
          recipients.add(org.postern.smtp.Path.parseMailbox(r));
        }
      } catch (IllegalArgumentException e) {
        System.err.println("postern: tls probe: --rcpt: " + e.getMessage());
        return 2;
      }
      PolicyEngine engine;
      TlsProbe.Files files;
      try {
        engine = new PolicyEngine(cfg.policy(), PolicyModel.compile(PolicyCommand.Explain.files(cfg.policy())));
        files = TlsProbe.Files.load(cfg.outbound(), cfg.tls());
      } catch (IOException | IllegalStateException e) {
        System.err.println("postern: tls probe: " + e.getMessage());
        return 2;
      } catch (PolicyFileException e) {
        e.problems().forEach(System.err::println);
        return 2;
      }
      // Delivery's own log lines (DANE fallbacks, MTA-STS fetches) would interleave with the report.
      java.util.logging.Logger.getLogger(org.postern.outbound.OutboundVerticle.LOGGER)
          .setLevel(java.util.logging.Level.WARNING);
      Vertx vertx = Vertx.vertx();
      try {
        TlsProbe probe = new TlsProbe(vertx, cfg.outbound(), files, TlsEngine.choose(cfg.tls().engine()),
            helo != null ? helo : cfg.node().hostname().isEmpty() ? Main.Run.machineName() : cfg.node().hostname(),
            stsPort);
        TlsProbe.Report report = probe.probe(forDomain, route).toCompletionStage().toCompletableFuture()
            .get(cfg.outbound().connectTimeout().toSeconds() * 11 + cfg.outbound().starttlsTimeout().toSeconds()
                + cfg.outbound().commandTimeout().toSeconds() * 4, TimeUnit.SECONDS);
        return print(report, engine, recipients);
      } catch (java.util.concurrent.ExecutionException e) {
        System.err.println("postern: tls probe: " + (e.getCause() == null ? e : e.getCause()).getMessage());
        return 1;
      } catch (java.util.concurrent.TimeoutException e) {
        System.err.println("postern: tls probe: no answer in time");
        return 1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      } finally {
        vertx.close();
      }
    }

    private int print(TlsProbe.Report r, PolicyEngine engine, List<org.postern.smtp.Path> recipients) {
      DestinationTls level = r.connected() == null ? engine.destinationTls(new DestinationTlsCheck(r.destination()))
          : engine.targetTls(new TargetTlsCheck(r.destination(), r.hostname(), r.ip(), r.port()));
      TlsProbe.Judgement atLevel = r.connected() == null ? null : r.underPolicy(level);
      ServerTlsVerdict server = r.connected() == null || level.level() == TlsLevel.NONE ? null
          : engine.serverTls(TlsProbe.serverCheck(r, recipients));
      boolean delivers = atLevel != null && atLevel.ok()
          && (server == null || server.session().decision() == Decision.ACCEPT);
      if (json) {
        System.out.println(json(r, level, atLevel, server, delivers).encodePrettily());
      } else {
        text(r, level, atLevel, server, delivers);
      }
      return delivers ? 0 : 1;
    }

    private static void text(TlsProbe.Report r, DestinationTls level, TlsProbe.Judgement atLevel,
        ServerTlsVerdict server, boolean delivers) {
      System.out.println("destination: " + r.destination() + " (nexthop " + r.nexthop() + ")");
      r.attempts().forEach(a -> System.out.println("tried " + a));
      if (r.connected() == null) {
        System.out.println("no next hop answered");
        System.out.println("policy: level " + level.level().configName() + " (" + level.rule() + "): would defer");
        return;
      }
      System.out.println("connected to " + r.connected());
      reply("< ", r.greeting());
      reply("< ", r.ehlo());
      System.out.println("STARTTLS: " + (r.starttlsOffered() ? "offered" : "not offered"));
      if (r.starttls() != null && r.starttls().code() != 220) {
        reply("< ", r.starttls());
      }
      if (r.tlsError() != null) {
        System.out.println("TLS failed: " + r.tlsError());
      }
      if (r.encrypted()) {
        // posttls-finger's words: Verified (trusted and the name matches), Trusted, Untrusted.
        String trust = r.judge(TlsLevel.VERIFY, List.of()).ok() || r.dane() != null && r.dane().matched() != null
            ? "Verified"
            : r.verification().verify() == org.postern.smtp.Verify.OK ? "Trusted" : "Untrusted";
        System.out.println(trust + " TLS connection established to " + r.connected() + ": " + r.tls().version()
            + " with cipher " + r.tls().cipher() + " (" + r.tls().cipherBits() + "/" + r.tls().algBits() + " bits)");
        for (int i = 0; i < r.chain().size(); i++) {
          X509Certificate c = r.chain().get(i);
          System.out.println("certificate " + i + ": subject " + c.getSubjectX500Principal().getName());
          System.out.println("  issuer " + c.getIssuerX500Principal().getName());
          List<String> names = TlsProbe.names(c);
          System.out.println("  names " + (names.isEmpty() ? "(none)" : String.join(", ", names)) + "; key " + key(c)
              + "; valid " + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant());
          System.out.println("  sha256 " + Fingerprints.sha256(c));
        }
        System.out.println("verify=" + r.verification().verify()
            + (r.verification().reason().isEmpty() ? "" : " (" + r.verification().reason() + ")"));
      }
      if (r.dane() != null) {
        System.out.println("DANE: " + (r.dane().usable() ? "usable TLSA records"
            + (r.dane().matched() != null ? ", matched " + r.dane().matched() : ", none matched: " + r.dane().why())
            : "none (" + r.dane().why() + ")"));
      }
      if (r.sts() != null) {
        System.out.println("MTA-STS: " + r.sts().policy() + (r.sts().applies() ? ""
            : " (not applied: a transport route sends this domain elsewhere)"));
      }
      System.out.println("levels:");
      for (TlsLevel l : TlsLevel.values()) {
        if (l == TlsLevel.NONE) {
          continue;
        }
        TlsProbe.Judgement j = r.judge(l, List.of());
        System.out.printf("  %-9s %-4s %s%n", l.configName(), j.ok() ? "ok" : "FAIL", j.why());
      }
      TlsProbe.Judgement sts = r.judgeSts();
      System.out.printf("  %-9s %-4s %s%n", "mta-sts", sts == null ? "-" : sts.ok() ? "ok" : "FAIL",
          sts == null ? "no MTA-STS policy" : sts.why());
      System.out.println("policy: level " + level.level().configName()
          + (level.match().isEmpty() ? "" : " match=" + String.join(":", level.match())) + " (" + level.rule() + "): "
          + (atLevel.ok() ? "satisfied" : "not satisfied: " + atLevel.why()));
      if (server != null) {
        TlsVerdict s = server.session();
        System.out.println("tls_server: " + s.decision() + (s.reply() == null ? "" : " " + s.reply()) + " (rule="
            + s.rule() + ")");
      }
      System.out.println("would " + (delivers ? "deliver" : "defer") + " to " + r.connected());
    }

    private static JsonObject json(TlsProbe.Report r, DestinationTls level, TlsProbe.Judgement atLevel,
        ServerTlsVerdict server, boolean delivers) {
      JsonObject o = new JsonObject().put("destination", r.destination()).put("nexthop", r.nexthop())
          .put("attempts", new JsonArray(r.attempts())).put("connected", r.connected());
      if (r.connected() != null) {
        o.put("greeting", r.greeting().toString()).put("ehlo", new JsonArray(r.ehlo().lines()))
            .put("starttls_offered", r.starttlsOffered()).put("tls_error", r.tlsError());
        if (r.encrypted()) {
          JsonArray chain = new JsonArray();
          for (X509Certificate c : r.chain()) {
            chain.add(new JsonObject().put("subject", c.getSubjectX500Principal().getName())
                .put("issuer", c.getIssuerX500Principal().getName()).put("names", new JsonArray(TlsProbe.names(c)))
                .put("key", key(c)).put("not_before", c.getNotBefore().toInstant().toString())
                .put("not_after", c.getNotAfter().toInstant().toString()).put("sha256", Fingerprints.sha256(c)));
          }
          o.put("tls", new JsonObject().put("version", r.tls().version()).put("cipher", r.tls().cipher())
              .put("bits", r.tls().cipherBits()).put("verify", r.verification().verify().name())
              .put("verify_reason", r.verification().reason()).put("chain", chain));
        }
        JsonObject levels = new JsonObject();
        for (TlsLevel l : TlsLevel.values()) {
          if (l != TlsLevel.NONE) {
            TlsProbe.Judgement j = r.judge(l, List.of());
            levels.put(l.configName(), new JsonObject().put("ok", j.ok()).put("why", j.why()));
          }
        }
        TlsProbe.Judgement sts = r.judgeSts();
        if (sts != null) {
          levels.put("mta-sts", new JsonObject().put("ok", sts.ok()).put("why", sts.why()));
        }
        o.put("levels", levels);
        if (r.dane() != null) {
          o.put("dane", new JsonObject().put("usable", r.dane().usable()).put("why", r.dane().why())
              .put("matched", r.dane().matched()));
        }
        if (r.sts() != null) {
          o.put("mta_sts", new JsonObject().put("policy", r.sts().policy()).put("mode", r.sts().mode().word())
              .put("applies", r.sts().applies()).put("mx_listed", r.sts().mxListed()));
        }
      }
      JsonObject policy = new JsonObject().put("level", level.level().configName()).put("rule", level.rule())
          .put("match", new JsonArray(level.match()));
      if (atLevel != null) {
        policy.put("satisfied", atLevel.ok()).put("why", atLevel.why());
      }
      if (server != null) {
        TlsVerdict s = server.session();
        policy.put("tls_server", new JsonObject().put("decision", s.decision().name()).put("rule", s.rule())
            .put("reply", s.reply() == null ? null : s.reply().toString()));
      }
      return o.put("policy", policy).put("would_deliver", delivers);
    }

    private static void reply(String prefix, Reply reply) {
      if (reply == null) {
        return;
      }
      List<String> lines = reply.lines();
      for (int i = 0; i < lines.size(); i++) {
        System.out.println(prefix + reply.code() + (i < lines.size() - 1 ? "-" : " ") + lines.get(i));
      }
    }

    private static String key(X509Certificate c) {
      if (c.getPublicKey() instanceof RSAKey rsa) {
        return "RSA-" + rsa.getModulus().bitLength();
      }
      if (c.getPublicKey() instanceof ECKey ec) {
        return "EC-" + ec.getParams().getCurve().getField().getFieldSize();
      }
      return c.getPublicKey().getAlgorithm();
    }
  }
}
