package org.postern.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigLoader;
import org.postern.policy.PolicyEngine;
import org.postern.policy.PolicyFile;
import org.postern.policy.PolicyModel;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * One policy question against a compiled model of about 10,000 access-map rules (3,000
 * {@code TLS_Clt:} host names, 3,000 {@code Connect:} addresses, 2,000 {@code TLS_Rcpt:} addresses,
 * 2,000 {@code TLS_Srv:} domains, a few certificate entries) and a policy map of 1,000 destinations:
 * {@code tls_client}, {@code relay} and {@code server_tls} (tls_server plus tls_rcpt), each for a
 * question that hits a rule and one that falls through every table to the default. The engine
 * only, as the policy verticle calls it: no event bus, no codec.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBench {

  static final int CLIENTS = 3000;
  static final String CA = "CN=Example Mail CA,O=Example,C=US";

  private PolicyEngine engine;
  private final TlsFacts verified = tls(Verify.OK, 256, "CN=laptop.example.net,O=Example,C=US", CA);
  private final TlsFacts stranger = tls(Verify.OK, 256, "CN=nobody.example.org,O=Other,C=US", "CN=Other CA,C=US");
  private ClientTlsCheck cltHit;
  private ClientTlsCheck cltMiss;
  private RelayCheck relayHit;
  private RelayCheck relayMiss;
  private ServerTlsCheck serverHit;
  private ServerTlsCheck serverMiss;

  @Setup
  public void compile() throws Exception {
    StringBuilder access = new StringBuilder();
    for (int i = 0; i < CLIENTS; i++) {
      access.append("TLS_Clt:host").append(i).append(".clients.example.net VERIFY:128\n");
      access.append("Connect:10.").append(i / 250).append('.').append(i % 250).append(".1 OK\n");
    }
    for (int i = 0; i < 2000; i++) {
      access.append("TLS_Rcpt:user").append(i).append("@rcpt.example.com ENCR:128\n");
      access.append("TLS_Srv:mx").append(i).append(".servers.example.org ENCR:128\n");
    }
    access.append("CERTISSUER:/C=US/O=Example/CN=Example+20Mail+20CA RELAY\n");
    access.append("CERTSUBJECT:/C=US/O=Example/CN=laptop.example.net RELAY\n");
    StringBuilder tlsPolicy = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      tlsPolicy.append("dest").append(i).append(".example encrypt\n");
    }
    PolicyModel model = PolicyModel.compile(List.of(
        new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "access", access.toString()),
        new PolicyFile(PolicyFile.Kind.TLS_POLICY_MAP, "tls_policy", tlsPolicy.toString())));
    if (model.size() < 10_000) {
      throw new IllegalStateException("the model should hold about 10,000 rules, has " + model.size());
    }
    engine = new PolicyEngine(ConfigLoader.load(null, List.of("policy.trusted_networks=")).policy(), model);
    Path sender = Path.parseMailbox("a@example.org");
    cltHit = new ClientTlsCheck("192.0.2.7", "host1234.clients.example.net", verified);
    cltMiss = new ClientTlsCheck("192.0.2.7", "desktop.elsewhere.example", verified);
    // The certificate's subject: every table before CERTSUBJECT is looked up first.
    relayHit = new RelayCheck("192.0.2.7", null, "laptop.example.net", verified, null, sender,
        Path.parseMailbox("x@far.example"));
    relayMiss = new RelayCheck("192.0.2.7", "desktop.elsewhere.example", "client.example", stranger, null, sender,
        Path.parseMailbox("x@far.example"));
    serverHit = new ServerTlsCheck("rcpt.example.com", "mx1234.servers.example.org", "192.0.2.25", 25,
        tls(Verify.FAIL, 256, "", ""), null, List.of(), List.of(Path.parseMailbox("user1234@rcpt.example.com")));
    serverMiss = new ServerTlsCheck("far.example", "mx.far.example", "192.0.2.26", 25,
        tls(Verify.FAIL, 256, "", ""), null, List.of(), List.of(Path.parseMailbox("x@far.example")));
    if (clientTlsHit().rule().startsWith("default") || !clientTlsMiss().rule().startsWith("default")
        || relayHit().rule().startsWith("default") || !relayMiss().rule().startsWith("default")
        || serverTlsHit().recipients().get(0).rule().startsWith("default")
        || !serverTlsMiss().session().rule().startsWith("default")) {
      throw new IllegalStateException("a hit that misses or a miss that hits: the benchmark measures the wrong path");
    }
  }

  private static TlsFacts tls(Verify v, int bits, String subject, String issuer) {
    return new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", bits, bits, v, subject, issuer,
        subject.replaceAll("^CN=([^,]*).*", "$1"), issuer.replaceAll("^CN=([^,]*).*", "$1"));
  }

  @Benchmark
  public TlsVerdict clientTlsHit() {
    return engine.clientTls(cltHit);
  }

  @Benchmark
  public TlsVerdict clientTlsMiss() {
    return engine.clientTls(cltMiss);
  }

  @Benchmark
  public RelayVerdict relayHit() {
    return engine.relay(relayHit);
  }

  @Benchmark
  public RelayVerdict relayMiss() {
    return engine.relay(relayMiss);
  }

  @Benchmark
  public ServerTlsVerdict serverTlsHit() {
    return engine.serverTls(serverHit);
  }

  @Benchmark
  public ServerTlsVerdict serverTlsMiss() {
    return engine.serverTls(serverMiss);
  }
}
