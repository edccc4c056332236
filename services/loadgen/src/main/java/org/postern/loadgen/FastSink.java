package org.postern.loadgen;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.postern.tls.SelfSignedCertificate;
import org.postern.tls.TlsEngine;

/**
 * An SMTP server that accepts every message and throws it away, counting: the cheapest possible
 * next hop for a node under load. EHLO offers PIPELINING (replies to a batch of commands go out in
 * one write) and, with {@code starttls}, STARTTLS with a freshly generated self-signed ECDSA P-256
 * certificate. DATA only (no BDAT). Listens on loopback only.
 */
public final class FastSink {

  /**
   * @param address where to listen (loopback only)
   * @param port 0 for any free port
   * @param starttls offer STARTTLS
   * @param tlsEngine {@code openssl} or {@code jdk}
   * @param instances event loops serving connections
   */
  public record Options(InetAddress address, int port, boolean starttls, String tlsEngine, int instances) {

    public static Options of(int port, boolean starttls) {
      return new Options(InetAddress.getLoopbackAddress(), port, starttls, "openssl",
          Runtime.getRuntime().availableProcessors());
    }
  }

  static final String HOSTNAME = "sink.loadgen.invalid";

  private final Vertx vertx;
  private final Options options;
  final LongAdder sessions = new LongAdder();
  final LongAdder tlsSessions = new LongAdder();
  final LongAdder messages = new LongAdder();
  final LongAdder bytes = new LongAdder();
  private final AtomicInteger open = new AtomicInteger();
  private final java.util.Set<String> clientAddresses = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private ServerSSLOptions ssl;
  private TlsEngine engine;
  private volatile int port;

  private FastSink(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.options = options;
  }

  /**
   * Starts the sink on {@code vertx}. Generating the certificate blocks briefly; it runs on a
   * worker thread.
   */
  public static Future<FastSink> start(Vertx vertx, Options options) {
    Loopback.address(options.address().getHostAddress());
    FastSink sink = new FastSink(vertx, options);
    return sink.listen().map(sink);
  }

  private Future<Void> listen() {
    engine = TlsEngine.choose(options.tlsEngine());
    Future<ServerSSLOptions> tls = options.starttls()
        ? vertx.executeBlocking(() -> {
          SelfSignedCertificate.Generated g = SelfSignedCertificate.generate(HOSTNAME, Duration.ofDays(1));
          return new ServerSSLOptions()
              .setKeyCertOptions(new PemKeyCertOptions()
                  .setCertValue(Buffer.buffer(g.certificatePem()))
                  .setKeyValue(Buffer.buffer(g.keyPem())))
              .setEnabledSecureTransportProtocols(new LinkedHashSet<>(List.of("TLSv1.2", "TLSv1.3")));
        })
        : Future.succeededFuture();
    return tls.compose(o -> {
      ssl = o;
      port = options.port() != 0 ? options.port() : freePort(options.address());
      // Every instance listens on the same explicit port, which Vert.x shares among them. (Port 0
      // would be shared too, but with any other port-0 server of this Vert.x instance as well.)
      // With STARTTLS, one instance only: in Vert.x 5.1.5 a connection accepted by any but the
      // first of several servers sharing a port has no server SSL context manager, and
      // upgradeToSsl fails with a NullPointerException (NetServerImpl keeps the manager on the
      // first server only).
      int instances = options.starttls() ? 1 : Math.max(1, options.instances());
      Future<?> all = Future.succeededFuture();
      for (int i = 0; i < instances; i++) {
        all = all.compose(v -> vertx.deployVerticle(new Listener(port), eventLoop()));
      }
      return all.mapEmpty();
    });
  }

  /** A port nothing listens on now; another process could take it before we bind (then listen fails). */
  private static int freePort(InetAddress address) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new java.net.InetSocketAddress(address, 0));
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + address.getHostAddress(), e);
    }
  }

  private static DeploymentOptions eventLoop() {
    return new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP);
  }

  public int port() {
    return port;
  }

  public long messages() {
    return messages.sum();
  }

  public long sessions() {
    return sessions.sum();
  }

  public long tlsSessions() {
    return tlsSessions.sum();
  }

  public long bytes() {
    return bytes.sum();
  }

  public int open() {
    return open.get();
  }

  /** The client addresses seen so far. */
  public java.util.Set<String> clientAddresses() {
    return java.util.Set.copyOf(clientAddresses);
  }

  public String engineDescription() {
    return engine.description();
  }

  public JsonObject counts() {
    return new JsonObject().put("port", port).put("sessions", sessions()).put("tlsSessions", tlsSessions())
        .put("messages", messages()).put("bytes", bytes()).put("open", open());
  }

  public String countsLine() {
    return String.format(Locale.ROOT, "sink :%d  sessions %d (TLS %d, open %d)  messages %d  octets %d", port,
        sessions(), tlsSessions(), open(), messages(), bytes());
  }

  private final class Listener extends VerticleBase {
    private final int listenPort;

    Listener(int listenPort) {
      this.listenPort = listenPort;
    }

    @Override
    public Future<?> start() {
      NetServerOptions o = new NetServerOptions()
          .setHost(options.address().getHostAddress())
          .setPort(listenPort)
          .setSsl(false)
          .setSslEngineOptions(engine.options())
          .setTcpNoDelay(true);
      NetServer server = vertx.createNetServer(o).connectHandler(s -> new SinkConnection(s).start());
      return server.listen();
    }
  }

  /** One client: commands, replies batched per read, DATA scanned for the final dot and dropped. */
  private final class SinkConnection {
    private static final int MAX_LINE = 4096;
    private final NetSocket socket;
    private byte[] line = new byte[128];
    private int lineLength;
    private Buffer out = Buffer.buffer(256);
    private boolean data;
    private int dataState = 0; // 0: start of line, 1: in line, 2: saw '.', 3: saw '.' CR, 4: in line saw CR
    private long dataBytes;
    private boolean tls;
    private boolean mail;
    private boolean rcpt;
    private boolean discarding;
    private boolean overlong;

    SinkConnection(NetSocket socket) {
      this.socket = socket;
    }

    void start() {
      sessions.increment();
      open.incrementAndGet();
      clientAddresses.add(socket.remoteAddress().hostAddress());
      socket.closeHandler(v -> open.decrementAndGet());
      socket.exceptionHandler(t -> socket.close());
      socket.handler(this::handle);
      socket.write("220 " + HOSTNAME + " ESMTP postern loadgen sink\r\n");
    }

    private void handle(Buffer b) {
      if (discarding) {
        return;
      }
      int n = b.length();
      int i = 0;
      while (i < n) {
        if (data) {
          i = scanData(b, i, n);
        } else {
          int lf = -1;
          for (int j = i; j < n; j++) {
            if (b.getByte(j) == '\n') {
              lf = j;
              break;
            }
          }
          int end = lf < 0 ? n : lf;
          if (!overlong) {
            if (lineLength + end - i > MAX_LINE) {
              overlong = true;
            } else {
              if (lineLength + end - i > line.length) {
                line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, lineLength + end - i));
              }
              b.getBytes(i, end, line, lineLength);
              lineLength += end - i;
            }
          }
          if (lf < 0) {
            i = n;
            break;
          }
          i = lf + 1;
          int len = lineLength;
          lineLength = 0;
          if (overlong) {
            overlong = false;
            reply("500 5.5.2 Line too long");
            continue;
          }
          if (len > 0 && line[len - 1] == '\r') {
            len--;
          }
          String cmd = new String(line, 0, len, StandardCharsets.ISO_8859_1);
          if (command(cmd)) {
            // STARTTLS: whatever follows in this read was sent before the handshake: dropped.
            return;
          }
        }
      }
      flush();
    }

    /** Scans DATA content from {@code i}; returns where the commands resume (or n). */
    private int scanData(Buffer b, int i, int n) {
      int start = i;
      while (i < n) {
        byte c = b.getByte(i++);
        switch (dataState) {
          case 0 -> dataState = c == '.' ? 2 : c == '\r' ? 4 : 1;
          case 1 -> dataState = c == '\r' ? 4 : 1;
          case 4 -> dataState = c == '\n' ? 0 : c == '\r' ? 4 : 1;
          case 2 -> dataState = c == '\r' ? 3 : 1;
          case 3 -> {
            if (c == '\n') {
              dataBytes += i - start;
              messages.increment();
              bytes.add(dataBytes);
              data = false;
              dataBytes = 0;
              dataState = 0;
              mail = false;
              rcpt = false;
              reply("250 2.0.0 Ok: discarded");
              return i;
            }
            dataState = c == '\r' ? 4 : 1;
          }
          default -> dataState = 1;
        }
      }
      dataBytes += i - start;
      return i;
    }

    /** Runs one command; true when the connection switches to TLS and input must stop. */
    private boolean command(String cmd) {
      String verb = (cmd.length() >= 4 ? cmd.substring(0, 4) : cmd).toUpperCase(Locale.ROOT);
      switch (verb) {
        case "EHLO" -> {
          mail = false;
          rcpt = false;
          StringBuilder r = new StringBuilder("250-").append(HOSTNAME).append("\r\n250-PIPELINING\r\n")
              .append("250-8BITMIME\r\n250-SIZE 0\r\n");
          if (options.starttls() && !tls && ssl != null) {
            r.append("250-STARTTLS\r\n");
          }
          r.append("250 ENHANCEDSTATUSCODES");
          reply(r.toString());
        }
        case "HELO" -> reply("250 " + HOSTNAME);
        case "MAIL" -> {
          mail = true;
          rcpt = false;
          reply("250 2.1.0 Ok");
        }
        case "RCPT" -> {
          if (!mail) {
            reply("503 5.5.1 Error: need MAIL command");
          } else {
            rcpt = true;
            reply("250 2.1.5 Ok");
          }
        }
        case "DATA" -> {
          if (!rcpt) {
            reply("503 5.5.1 Error: need RCPT command");
          } else {
            data = true;
            dataState = 0;
            reply("354 End data with <CR><LF>.<CR><LF>");
          }
        }
        case "RSET" -> {
          mail = false;
          rcpt = false;
          reply("250 2.0.0 Ok");
        }
        case "NOOP" -> reply("250 2.0.0 Ok");
        case "QUIT" -> {
          reply("221 2.0.0 Bye");
          flush();
          socket.close();
          discarding = true;
          return true;
        }
        case "STAR" -> {
          if (!cmd.equalsIgnoreCase("STARTTLS")) {
            reply("502 5.5.2 Error: command not recognized");
          } else if (!options.starttls() || tls || ssl == null) {
            reply("454 4.7.0 TLS not available");
          } else {
            flush();
            // The TLS handler is in place when upgradeToSsl returns, so everything read after this
            // read is TLS; what is left of this read was sent before the handshake and is dropped
            // (the caller stops here). Data decrypted right after the handshake may arrive before
            // the future completes, so the session state changes now, not in the callback.
            tls = true;
            tlsSessions.increment();
            mail = false;
            rcpt = false;
            lineLength = 0;
            socket.upgradeToSsl(ssl, null, Buffer.buffer("220 2.0.0 Ready to start TLS\r\n")).onFailure(t -> socket.close());
            return true;
          }
        }
        default -> reply("502 5.5.2 Error: command not recognized");
      }
      return false;
    }

    private void reply(String text) {
      out.appendString(text).appendString("\r\n");
    }

    private void flush() {
      if (out.length() > 0) {
        socket.write(out);
        out = Buffer.buffer(256);
      }
    }
  }
}
