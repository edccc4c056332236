package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.bus.SessionCheck;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener;
import org.postern.config.PosternConfig;
import org.postern.policy.PolicyVerticle;
import org.postern.queue.QueueVerticle;
import org.postern.tls.ServerCredentials;
import org.postern.tls.ServerTls;
import org.postern.tls.TlsEngine;

/**
 * A running listener with a real policy and queue beside it, as a node with the inbound, policy
 * and queue roles deploys them (no outbound: accepted mail stays in the spool, where tests read
 * it). Settings come from {@link ConfigLoader} exactly as {@code --set} would give them.
 */
final class InboundFixture implements AutoCloseable {

  static final String HOSTNAME = "mx.postern.test";

  final Vertx vertx;
  final PosternConfig config;
  final InboundVerticle inbound;
  final int port;
  final Path spoolDir;
  /** What the listener's instances share, the message memory budget among it. */
  final InboundVerticle.Shared shared;
  /** Session checks held back by {@link Builder#holdGreeting()}, delivered by {@link #releaseGreeting()}. */
  private final BlockingQueue<Runnable> heldSessions;
  private final LogCapture log;
  /** Messages sent on the event bus, by address. */
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> sent;
  /** The policy verticle's deployment, or null without one. */
  private final String policyDeployment;

  private InboundFixture(Vertx vertx, PosternConfig config, InboundVerticle inbound, InboundVerticle.Shared shared,
      Path spoolDir, BlockingQueue<Runnable> heldSessions, LogCapture log,
      java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> sent, String policyDeployment) {
    this.shared = shared;
    this.vertx = vertx;
    this.config = config;
    this.inbound = inbound;
    this.port = inbound.ports().get(0);
    this.spoolDir = spoolDir;
    this.heldSessions = heldSessions;
    this.log = log;
    this.sent = sent;
    this.policyDeployment = policyDeployment;
  }

  /** How many messages were sent to {@code address} on the event bus so far. */
  int sentOnBus(String address) {
    java.util.concurrent.atomic.AtomicInteger n = sent.get(address);
    return n == null ? 0 : n.get();
  }

  /** Undeploys the policy verticle, as a node that stops does. */
  void undeployPolicy() throws Exception {
    await(vertx.undeploy(policyDeployment));
  }

  static Builder in(Path dir) {
    return new Builder(dir);
  }

  static final class Builder {
    private final Path dir;
    private final List<String> sets = new ArrayList<>();
    private boolean holdGreeting;
    private int instances = 1;
    private boolean noPolicy;
    private final List<String> unanswered = new ArrayList<>();
    private boolean policyOverBus;

    private Builder(Path dir) {
      this.dir = dir;
      sets.add("inbound.listeners=127.0.0.1:0 may");
      sets.add("node.hostname=" + HOSTNAME);
      sets.add("node.data_dir=" + dir.resolve("data"));
      sets.add("queue.spool_dir=" + dir.resolve("spool"));
      // No client-name lookups through whatever resolver the test machine has: tests that are
      // about names bring their own DNS server (ClientNameTest).
      sets.add("inbound.dns_timeout=0");
    }

    /** {@code key=value} overrides, applied after the defaults above (later ones win). */
    Builder set(String... keyValues) {
      sets.addAll(Arrays.asList(keyValues));
      return this;
    }

    /**
     * Holds every connection's session check (the question whose answer lets the greeting go out)
     * until the test calls {@link InboundFixture#releaseGreeting()}: the greeting cannot be sent
     * before then, so "the client talked first" is not a race.
     */
    Builder holdGreeting() {
      holdGreeting = true;
      return this;
    }

    /** Runs the listener on {@code n} event loops (instances sharing the port and limits). */
    Builder instances(int n) {
      instances = n;
      return this;
    }

    /**
     * The listener asks policy over the bus, as on a node without the policy role; otherwise, as
     * on a node with it, in process (but for the fixtures that intercept the bus's questions).
     */
    Builder policyOverBus() {
      policyOverBus = true;
      return this;
    }

    /** No policy service at all: every question the listener asks goes unanswered. */
    Builder withoutPolicy() {
      noPolicy = true;
      return this;
    }

    /**
     * The real policy answers every question but those sent to {@code address}, which the event
     * bus drops on the way: the listener's deadline is all that ends them.
     */
    Builder policyNeverAnswers(String address) {
      unanswered.add(address);
      return this;
    }

    InboundFixture start() throws Exception {
      PosternConfig cfg = ConfigLoader.load(null, sets);
      LogCapture log = LogCapture.install();
      Vertx vertx = Vertx.vertx();
      try {
        Contracts.register(vertx);
        TlsEngine engine = TlsEngine.choose(cfg.tls().engine(), cfg.tls().groups());
        List<ServerCredentials> tls = loadServerTls(cfg);
        BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();
        java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> sent = new java.util.concurrent.ConcurrentHashMap<>();
        vertx.eventBus().addOutboundInterceptor(dc -> {
          sent.computeIfAbsent(dc.message().address(), a -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
          dc.next();
        });
        if (holdGreeting) {
          // The real policy answers, but its question is only delivered when the test says so.
          vertx.eventBus().addOutboundInterceptor(dc -> {
            if (dc.message().address().equals(SessionCheck.ADDRESS)) {
              io.vertx.core.Context context = Vertx.currentContext();
              held.add(() -> context.runOnContext(v -> dc.next()));
            } else {
              dc.next();
            }
          });
        }
        if (!unanswered.isEmpty()) {
          vertx.eventBus().addOutboundInterceptor(dc -> {
            if (!unanswered.contains(dc.message().address())) {
              dc.next();
            }
          });
        }
        PolicyVerticle policy = noPolicy ? null : new PolicyVerticle(cfg.policy());
        String policyDeployment = policy == null ? null : await(deploy(vertx, policy));
        // The tests that hold or drop questions on the bus need the listener to ask there.
        boolean inProcess = policy != null && !policyOverBus && !holdGreeting && unanswered.isEmpty();
        await(deploy(vertx, new QueueVerticle(cfg.queue(), HOSTNAME, Clock.systemUTC())));
        InboundVerticle.Shared shared = new InboundVerticle.Shared(cfg.inbound());
        InboundVerticle inbound = null;
        for (int i = 0; i < instances; i++) {
          InboundVerticle v = new InboundVerticle(cfg.inbound(), cfg.tls(), HOSTNAME, engine, tls,
              cfg.policy().timeout(), Clock.systemUTC(), shared);
          if (inProcess) {
            v.policyInProcess(policy.inProcess());
          }
          await(deploy(vertx, v));
          inbound = inbound == null ? v : inbound;
        }
        return new InboundFixture(vertx, cfg, inbound, shared, Path.of(cfg.queue().spoolDir()), held, log, sent,
            policyDeployment);
      } catch (Exception | Error e) {
        log.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        throw e;
      }
    }

    /** Starts a fixture that must fail to deploy, and returns why. */
    Throwable startFailure() throws Exception {
      try (InboundFixture f = start()) {
        throw new AssertionError("deployment succeeded on port " + f.port + " but should have failed");
      } catch (ExecutionException e) {
        return e.getCause();
      }
    }
  }

  /** As {@code Node.loadServerTls}: a certificate that cannot be used leaves STARTTLS answering 454. */
  private static List<ServerCredentials> loadServerTls(PosternConfig cfg) {
    try {
      return ServerCredentials.loadAll(cfg.tls(), Path.of(cfg.node().dataDir()), HOSTNAME);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Future<String> deploy(Vertx vertx, io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A raw client connected to the listener (not yet greeted). */
  SmtpClient connect() throws IOException {
    return new SmtpClient(port);
  }

  /** A raw client connecting from {@code localAddress}, e.g. 127.0.0.2. */
  SmtpClient connectFrom(String localAddress) throws IOException {
    return new SmtpClient(port, localAddress);
  }

  /** A client that has read the greeting and sent EHLO; returns it after reading the EHLO reply. */
  SmtpClient greeted() throws IOException {
    SmtpClient c = connect();
    c.expect(220);
    c.send("EHLO client.test\r\n");
    c.expect(250);
    return c;
  }

  /** Delivers the oldest held session check to the policy (waiting up to 10 s for it to be sent). */
  void releaseGreeting() throws InterruptedException {
    Runnable deliver = heldSessions.poll(10, TimeUnit.SECONDS);
    assertNotNull(deliver, "the listener sent no session check to the policy");
    deliver.run();
  }

  /** The threads that logged lines containing {@code text} (event loops, for the listener's lines). */
  java.util.Set<Long> logThreads(String text) {
    return log.threadsOf(text);
  }

  /** Waits (bounded) until a log line of the inbound/policy/queue loggers contains {@code text}. */
  String awaitLog(String text) throws InterruptedException {
    return log.await(text, 10_000);
  }

  /** Every line so far (of the loggers above) that contains {@code text}. */
  List<String> logLines(String text) {
    return log.linesWith(text);
  }

  /** One message in {@code active/}: the envelope JSON and the body, as stored. */
  record Spooled(String file, JsonObject envelope, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Every message stored in the spool: the records ({@code POSTERN-QUEUE-1 <jsonLen> <bodyLen>\n<json><body>})
   * of {@code active/*.seg} segments, each behind its frame (length and CRC-32C, 4 octets each),
   * and of {@code *.msg} files (large bodies). No outbound runs here, so none is finished.
   */
  List<Spooled> spool() throws IOException {
    List<Spooled> out = new ArrayList<>();
    Path active = spoolDir.resolve("active");
    if (!Files.isDirectory(active)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(active, "*.{seg,msg}")) {
      for (Path p : files) {
        byte[] all = Files.readAllBytes(p);
        if (p.getFileName().toString().endsWith(".msg")) {
          out.add(record(p, all, 0, all.length));
          continue;
        }
        java.nio.ByteBuffer frames = java.nio.ByteBuffer.wrap(all);
        for (int at = 0; at + 8 <= all.length; ) {
          int length = frames.getInt(at);
          if (length <= 0 || at + 8 + length > all.length) {
            break; // the unwritten rest of the segment
          }
          out.add(record(p, all, at + 8, length));
          at += 8 + length;
        }
      }
    }
    return out;
  }

  private static Spooled record(Path p, byte[] all, int from, int length) {
    int nl = from;
    while (all[nl] != '\n') {
      nl++;
    }
    String[] header = new String(all, from, nl - from, StandardCharsets.US_ASCII).split(" ");
    assertEquals(3, header.length, p + ": header line");
    assertEquals("POSTERN-QUEUE-1", header[0], p + ": magic");
    int jsonLen = Integer.parseInt(header[1]);
    int bodyLen = Integer.parseInt(header[2]);
    assertEquals(length, nl + 1 - from + jsonLen + bodyLen, p + ": lengths in the header line");
    JsonObject json = new JsonObject(new String(all, nl + 1, jsonLen, StandardCharsets.UTF_8));
    byte[] body = Arrays.copyOfRange(all, nl + 1 + jsonLen, nl + 1 + jsonLen + bodyLen);
    return new Spooled(p.getFileName().toString(), json, body);
  }

  /** The only message in the spool. */
  Spooled onlySpooled() throws IOException {
    List<Spooled> all = spool();
    assertEquals(1, all.size(), "messages in the spool: " + all);
    return all.get(0);
  }

  @Override
  public void close() throws Exception {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      log.close();
    }
  }

  /** Collects the service loggers' records so tests can wait on a log line instead of sleeping. */
  static final class LogCapture extends Handler implements AutoCloseable {
    private static final List<String> NAMES = List.of("postern.inbound", "postern.policy", "postern.queue",
        "postern.cleanup");
    /**
     * The LogManager holds loggers weakly: one configured before the class that logs to it is
     * loaded can be collected, handler and all. These strong references keep them.
     */
    private static final List<Logger> LOGGERS = NAMES.stream().map(Logger::getLogger).toList();
    private final List<String> lines = new ArrayList<>();
    private final List<Long> threads = new ArrayList<>();

    static LogCapture install() {
      LogCapture c = new LogCapture();
      LOGGERS.forEach(l -> l.addHandler(c));
      // FINE for the listener: some tests wait on its debug lines (e.g. early talkers).
      LOGGERS.get(0).setLevel(java.util.logging.Level.FINE);
      return c;
    }

    @Override
    public synchronized void publish(LogRecord record) {
      String msg = record.getMessage();
      lines.add(msg == null ? "" : msg);
      threads.add(record.getLongThreadID());
      notifyAll();
    }

    synchronized List<String> linesWith(String text) {
      return lines.stream().filter(l -> l.contains(text)).toList();
    }

    /** The threads that logged a line containing {@code text}. */
    synchronized java.util.Set<Long> threadsOf(String text) {
      java.util.Set<Long> out = new java.util.HashSet<>();
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).contains(text)) {
          out.add(threads.get(i));
        }
      }
      return out;
    }

    synchronized String await(String text, long millis) throws InterruptedException {
      long deadline = System.currentTimeMillis() + millis;
      while (true) {
        for (String l : lines) {
          if (l.contains(text)) {
            return l;
          }
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new AssertionError("no log line containing '" + text + "' within " + millis + " ms; got " + lines);
        }
        wait(left);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      LOGGERS.forEach(l -> l.removeHandler(this));
    }
  }
}
