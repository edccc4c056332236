package org.postern.loadgen;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code postern loadgen sink}: accept and discard mail on loopback, counting, for a bounded time. */
@Command(name = "sink", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Accept every message and discard it, counting; print the counts periodically on stderr. "
        + "Stops at --duration (or SIGTERM) and prints the final counts on stdout.")
final class SinkCommand implements Callable<Integer> {

  @Option(names = "--listen", required = true, paramLabel = "[HOST:]PORT",
      description = "Where to listen: a port on 127.0.0.1, or HOST:PORT on loopback.")
  String listen;

  @Option(names = "--starttls", description = "Offer STARTTLS with a generated self-signed ECDSA P-256 certificate.")
  boolean starttls;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "10m", converter = DurationConverter.class,
      description = "How long to run (default: ${DEFAULT-VALUE}; at most 24h).")
  Duration duration;

  @Option(names = "--interval", paramLabel = "D", defaultValue = "5s", converter = DurationConverter.class,
      description = "How often to print the counts (default: ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--tls-engine", paramLabel = "openssl|jdk", defaultValue = "openssl",
      description = "TLS engine for STARTTLS (default: ${DEFAULT-VALUE}).")
  String tlsEngine;

  @Option(names = "--event-loops", paramLabel = "N", description = "Event loops (default: the number of cores).")
  Integer eventLoops;

  @Option(names = "--json", description = "Print the final counts as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    InetAddress address;
    int port;
    try {
      if (listen.contains(":")) {
        java.net.InetSocketAddress a = Loopback.target(listen);
        address = a.getAddress();
        port = a.getPort();
      } else {
        address = InetAddress.getLoopbackAddress();
        port = Loopback.port(listen);
      }
      if (duration.isZero() || duration.isNegative() || duration.compareTo(Duration.ofHours(24)) > 0) {
        throw new IllegalArgumentException("--duration: more than 0, at most 24h");
      }
      if (!tlsEngine.equals("openssl") && !tlsEngine.equals("jdk")) {
        throw new IllegalArgumentException("--tls-engine: openssl or jdk");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("postern loadgen sink: " + e.getMessage());
      return 2;
    }
    int loops = eventLoops == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, eventLoops);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    FastSink sink;
    try {
      sink = FastSink.start(vertx, new FastSink.Options(address, port, starttls, tlsEngine, loops))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("postern loadgen sink: cannot listen on " + listen + ": " + e.getCause().getMessage());
      vertx.close();
      return 1;
    }
    System.err.println("postern loadgen sink: listening on " + address.getHostAddress() + ":" + sink.port()
        + (starttls ? ", STARTTLS via " + sink.engineDescription() : ", no STARTTLS") + ", for "
        + duration.toSeconds() + "s");
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch printed = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        printed.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sink-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    long end = System.nanoTime() + duration.toNanos();
    long step = Math.max(100, interval.toMillis());
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
      if (left <= 0 || stop.await(Math.min(step, left), TimeUnit.MILLISECONDS)) {
        break;
      }
      System.err.println("postern loadgen " + sink.countsLine());
    }
    System.out.println(json ? sink.counts().encode() : sink.countsLine());
    System.out.flush();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    printed.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Shutting down already.
    }
    return 0;
  }
}
