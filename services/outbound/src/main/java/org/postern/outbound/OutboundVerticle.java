package org.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.config.ClusterConfig;
import org.postern.bus.PolicyQuestions;
import org.postern.config.OutboundConfig;
import org.postern.config.TlsConfig;
import org.postern.outbound.sts.MtaSts;
import org.postern.tls.CaCertificates;
import org.postern.tls.EntrySeal;
import org.postern.tls.ServerCredentials;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.tls.TlsEngine;
import org.postern.tls.TlsHandshakeMeter;

/**
 * Outbound delivery: answers every {@link DeliveryRequest} on {@link DeliveryRequest#ADDRESS}
 * with a {@link DeliveryReport}, one result per recipient, after an SMTP session with the next
 * hop. TLS is started by STARTTLS as the destination's policy level (asked of policy before
 * connecting) demands.
 *
 * <p>A request is always answered with a report: a failure nobody foresaw defers every recipient
 * with {@code 451 4.3.0}, since an unknown failure is transient. Only a message that is not a
 * delivery request at all gets a failure reply, as there is no queue id to report on.
 *
 * <p>Logs to {@code java.util.logging} logger {@value #LOGGER}: sendmail's {@code STARTTLS=client}
 * line per handshake and Postfix's {@code to=..., relay=..., status=...} line per recipient.
 */
public final class OutboundVerticle extends VerticleBase {

  /** The java.util.logging logger name. */
  public static final String LOGGER = "postern.outbound";

  private static final Logger LOG = Logger.getLogger(LOGGER);

  private final OutboundConfig config;
  private final TlsConfig tls;
  private final String hostname;
  private final TlsEngine engine;
  private final Function<Vertx, Dns> dnsFactory;

  private NetClient client;
  private Dns dns;
  private SessionPool pool;
  private Delivery delivery;
  private MtaSts sts;
  /** Where MTA-STS policies are fetched: 443, but a free port in tests. */
  private final int stsHttpsPort;
  /** In a cluster, the event-bus certificate files that sign shared entries; null otherwise. */
  private ClusterConfig cluster;
  /** This node's policy answering in process, or null: questions go over the bus. */
  private PolicyQuestions policyInProcess;

  /**
   * @param config delivery settings: transport table, DNS servers, timeouts
   * @param tls the TLS protocols to offer after STARTTLS
   * @param hostname our name, sent with EHLO
   * @param engine the TLS implementation (OpenSSL or JDK) for STARTTLS
   */
  /** Counted nowhere unless {@link #meters} says where. */
  private TlsHandshakeMeter handshakes = new TlsHandshakeMeter(new SimpleMeterRegistry(), TlsHandshakeMeter.Side.OUTBOUND);

  public OutboundVerticle(OutboundConfig config, TlsConfig tls, String hostname, TlsEngine engine) {
    this(config, tls, hostname, engine, vertx -> VertxDns.create(vertx, config.dnsServers()));
  }

  /** With another resolver: tests route to loopback peers by fixed DNS answers. */
  OutboundVerticle(OutboundConfig config, TlsConfig tls, String hostname, TlsEngine engine,
      Function<Vertx, Dns> dnsFactory) {
    this(config, tls, hostname, engine, dnsFactory, 443);
  }

  /** With MTA-STS policies served on another port than 443: tests. */
  OutboundVerticle(OutboundConfig config, TlsConfig tls, String hostname, TlsEngine engine,
      Function<Vertx, Dns> dnsFactory, int stsHttpsPort) {
    if (config == null || tls == null || engine == null) {
      throw new IllegalArgumentException("config, tls and engine are required");
    }
    if (hostname == null || hostname.isBlank()) {
      throw new IllegalArgumentException("hostname must be set");
    }
    this.config = config;
    this.tls = tls;
    this.hostname = hostname;
    this.engine = engine;
    this.dnsFactory = dnsFactory;
    this.stsHttpsPort = stsHttpsPort;
  }

  /** Counts the STARTTLS handshakes in {@code registry}; before deployment. */
  public OutboundVerticle meters(MeterRegistry registry) {
    handshakes = new TlsHandshakeMeter(registry, TlsHandshakeMeter.Side.OUTBOUND);
    return this;
  }

  /**
   * Lets deliveries ask this node's own policy role in process, on this verticle's event loop,
   * instead of over the bus. Set before deployment; a node without the policy role leaves it unset.
   */
  public void policyInProcess(PolicyQuestions questions) {
    policyInProcess = questions;
  }

  @Override
  public Future<?> start() {
    // No TLS at connect: STARTTLS upgrades the plaintext connection with per-session options.
    client = vertx.createNetClient(new NetClientOptions()
        .setSsl(false)
        .setSslEngineOptions(engine.options())
        .setConnectTimeout(Math.toIntExact(config.connectTimeout().toMillis())));
    dns = dnsFactory.apply(vertx);
    // Spreading load over equal MX preferences needs no cryptographic randomness.
    Random random = new Random();
    pool = new SessionPool(vertx, config.connectionReuseLimit(), config.connectionIdleTimeout());
    ConnectionLimits limits = new ConnectionLimits(vertx, config.destinationConcurrency(),
        config.destinationRateDelay(), config.maxConnections());
    // Trust stores, the client key and the credentials file are file reads: not on the event loop.
    return startSts().compose(v -> vertx.executeBlocking(() -> OutboundFiles.load(config, tls))).compose(files -> {
      files.notes().forEach(LOG::info);
      SessionSettings settings = new SessionSettings(hostname, config.commandTimeout(), config.starttlsTimeout(),
          files.tlsOptions(), files.verification(), config.noteStarttlsOffer(), files.credentials(), handshakes);
      BrokenTlsPeers brokenTls = new BrokenTlsPeers(config.brokenTlsPeerMemory());
      delivery = new Delivery(vertx, client, new Router(config.transport(), dns, random), settings, pool, limits,
          brokenTls, new TlsResumption(config.tlsSessionCacheTimeout()), new StsGate(sts, config.transport()),
          new Dane(config.dnssec() ? new DnssecResolver(vertx, config.dnsServers()) : null),
          policyInProcess != null ? policyInProcess : PolicyQuestions.overBus(vertx, Delivery.POLICY_DEADLINE));
      // Local only: a delivery request carries the whole body, and only this node's queue sends one
      // (in a cluster, the queue role needs outbound on its node), so another member cannot.
      return shareBrokenTls(brokenTls)
          .compose(v -> vertx.eventBus().<Object>localConsumer(DeliveryRequest.ADDRESS, this::handle).completion());
    });
  }

  /**
   * In a cluster: signs what this node writes into shared maps with its event-bus key
   * ({@code cluster.bus_cert_chain}, {@code cluster.bus_key}), and accepts from them only what a
   * node certificate of {@code cluster.bus_ca_file} signed.
   */
  public OutboundVerticle sealingWith(ClusterConfig cluster) {
    this.cluster = cluster;
    return this;
  }

  /** The seal of shared entries, when clustered with event-bus certificates; else null. Reads files. */
  private EntrySeal seal() throws Exception {
    if (!vertx.isClustered() || cluster == null || !cluster.busTlsConfigured()) {
      return null;
    }
    ServerCredentials node = ServerCredentials.load(java.nio.file.Path.of(cluster.busCertChain()),
        java.nio.file.Path.of(cluster.busKey()), "cluster.bus_cert_chain");
    return new EntrySeal(node, CaCertificates.load(cluster.busCaFile(), "cluster.bus_ca_file", "", ""));
  }

  /** MTA-STS, unless outbound.mta_sts is off: its CA file and cache file are read here. */
  private Future<Void> startSts() {
    if (!config.sts().enabled()) {
      LOG.info("MTA-STS is off (outbound.mta_sts = no)");
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(this::seal)
        .compose(seal -> MtaSts.start(vertx, config.sts(), StsGate.resolver(dns), stsHttpsPort, seal))
        .onSuccess(s -> sts = s).mapEmpty();
  }

  /**
   * In a cluster, the memory of broken TLS peers is the cluster's; a node that cannot reach the
   * shared map delivers with its own memory rather than not at all.
   */
  private Future<Void> shareBrokenTls(BrokenTlsPeers brokenTls) {
    if (!vertx.isClustered() || config.brokenTlsPeerMemory().isZero()) {
      return Future.succeededFuture();
    }
    return vertx.sharedData().<String, Long>getClusterWideMap(BrokenTlsPeers.SHARED_MAP)
        .onSuccess(map -> {
          brokenTls.share(vertx, map);
          LOG.info("broken TLS peers are remembered cluster-wide (" + BrokenTlsPeers.SHARED_MAP + ")");
        })
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warning("cannot open the cluster's memory of broken TLS peers: " + e.getMessage()
              + "; this node remembers them alone");
          return Future.succeededFuture();
        });
  }

  @Override
  public Future<?> stop() {
    return pool.close().transform(ar -> Future.join(client.close(), dns.close(),
        sts == null ? Future.succeededFuture() : sts.close()));
  }

  private void handle(Message<Object> msg) {
    if (!(msg.body() instanceof DeliveryRequest request)) {
      msg.fail(400, "expected a DeliveryRequest, got "
          + (msg.body() == null ? "null" : msg.body().getClass().getSimpleName()));
      return;
    }
    Future.<Void>succeededFuture()
        .compose(v -> delivery.deliver(request))
        .recover(t -> {
          LOG.log(Level.WARNING, request.queueId() + ": delivery failed unexpectedly", t);
          return Future.succeededFuture(deferAll(request, t));
        })
        .onSuccess(msg::reply);
  }

  private static DeliveryReport deferAll(DeliveryRequest request, Throwable t) {
    Reply reply = Replies.ours(451, "4.3.0", "internal error: " + Replies.reason(t));
    return new DeliveryReport(request.queueId(), request.recipients().stream()
        .map((Path r) -> new RecipientResult(r, Status.DEFERRED, reply, "none"))
        .toList());
  }
}
