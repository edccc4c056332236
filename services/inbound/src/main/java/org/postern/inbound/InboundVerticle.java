package org.postern.inbound;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.postern.config.InboundConfig;
import org.postern.config.Listener;
import org.postern.tls.TlsEngine;

/**
 * Opens the configured listeners and runs one {@link SmtpConnection} per client.
 * See the package comment for what it trusts.
 */
public final class InboundVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.inbound");

  private final InboundConfig config;
  private final InboundContext context;
  private final List<NetServer> servers = new ArrayList<>();

  /**
   * @param serverTls the TLS options for STARTTLS, or null when no usable certificate could be
   *     loaded: STARTTLS is then answered with 454, as the seeds describe
   */
  public InboundVerticle(InboundConfig config, String hostname, TlsEngine engine, ServerSSLOptions serverTls,
      java.time.Duration policyTimeout, Clock clock) {
    this.config = config;
    this.context = new InboundContext(config, hostname, engine, serverTls, policyTimeout, clock);
  }

  @Override
  public Future<?> start() {
    List<Future<?>> listening = new ArrayList<>();
    for (Listener l : config.listeners()) {
      NetServerOptions options = new NetServerOptions()
          .setHost(l.address())
          .setPort(l.port())
          // TLS starts with STARTTLS on the same port, never at accept time.
          .setSsl(false)
          .setSslEngineOptions(context.engine().options());
      NetServer server = vertx.createNetServer(options)
          .connectHandler(socket -> new SmtpConnection(vertx, socket, l, context).start());
      servers.add(server);
      listening.add(server.listen().onSuccess(s -> LOG.info(() -> "listening on " + l + " (port "
          + s.actualPort() + "), STARTTLS " + (l.tls() == Listener.Tls.NONE ? "off"
          : context.serverTls() == null ? "unavailable (no usable certificate)" : "via " + context.engine().description()))));
    }
    return Future.all(listening);
  }

  @Override
  public Future<?> stop() {
    return Future.all(servers.stream().map(NetServer::close).toList());
  }

  /** The ports actually bound, in listener order (useful when a listener asks for port 0). */
  public List<Integer> ports() {
    return servers.stream().map(NetServer::actualPort).toList();
  }

  /** What every connection of this verticle shares: settings, TLS, and a clock. */
  record InboundContext(InboundConfig config, String hostname, TlsEngine engine, ServerSSLOptions serverTls,
      java.time.Duration policyTimeout, Clock clock) {}
}
