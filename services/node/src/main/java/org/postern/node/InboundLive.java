package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.postern.config.InboundConfig;
import org.postern.config.TlsConfig;
import org.postern.inbound.InboundVerticle;
import org.postern.node.push.LiveInbound;
import org.postern.tls.ClientCertVerifier;
import org.postern.tls.ServerCredentials;

/**
 * The inbound listener as configuration pushes change it: every instance of it, the connection
 * limits they share, and the watcher of its certificate files, which from then on watches the
 * files the push wrote. Loading runs on a worker; the swap is one task per instance's event loop.
 */
final class InboundLive implements LiveInbound {

  private final Vertx vertx;
  private final List<InboundVerticle> listeners;
  private final InboundVerticle.Shared shared;
  private final TlsReloader reloader;
  private final Path dataDir;
  private final String hostname;

  InboundLive(Vertx vertx, List<InboundVerticle> listeners, InboundVerticle.Shared shared, TlsReloader reloader,
      Path dataDir, String hostname) {
    this.vertx = vertx;
    this.listeners = List.copyOf(listeners);
    this.shared = shared;
    this.reloader = reloader;
    this.dataDir = dataDir;
    this.hostname = hostname;
  }

  private record Ready(InboundConfig inbound, TlsConfig tls, List<ServerCredentials> credentials,
      ClientCertVerifier verifier) implements Prepared {
    @Override
    public String describe() {
      return credentials.stream().map(c -> c.source() + " SHA-256 " + c.fingerprint()).collect(Collectors.joining(", "));
    }
  }

  @Override
  public Future<Prepared> prepare(InboundConfig inbound, TlsConfig tls) {
    return vertx.executeBlocking(() -> {
      // The same loading, and checks, as at start and on a file change: what serves is what is on disk.
      List<ServerCredentials> creds = ServerCredentials.loadAll(tls, dataDir, hostname);
      ClientCertVerifier verifier = InboundVerticle.asksForClientCertificates(inbound)
          ? ClientCertVerifier.load(tls) : ClientCertVerifier.none();
      return new Ready(inbound, tls, creds, verifier);
    }, false);
  }

  @Override
  public Future<Void> install(Prepared prepared) {
    Ready r = (Ready) prepared;
    shared.limits(r.inbound());
    return Future.all(listeners.stream().map(l -> l.update(r.inbound(), r.tls(), r.credentials(), r.verifier())).toList())
        .compose(v -> reloader.follow(ServerCredentials.files(r.tls(), dataDir),
            () -> ServerCredentials.loadAll(r.tls(), dataDir, hostname), r.credentials()));
  }
}
