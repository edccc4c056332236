package org.postern.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * A real SMTP server (Python's aiosmtpd, run as a child process) on 127.0.0.1, for tests of code
 * that delivers mail. It records every accepted message as it arrived on the wire, with the
 * envelope and the TLS state of the session, and answers some recipients with fixed refusals:
 *
 * <ul>
 *   <li>local part starting with {@code defer}: {@code 451 4.3.0 try later} at RCPT;
 *   <li>local part starting with {@code reject}: {@code 550 5.1.1 no such user} at RCPT;
 *   <li>with {@link Options#withTempfailData(boolean)}: {@code 451 4.3.0 try later} at the end of DATA.
 * </ul>
 *
 * <p>Blocking (it starts a process and reads files): use it from test threads, never from an event
 * loop.
 */
public final class SmtpSink implements AutoCloseable {

  /** The address the sink listens on. */
  public static final String HOST = "127.0.0.1";

  /** The name the sink greets with, and the subject of its STARTTLS certificate. */
  public static final String HOSTNAME = "sink.test";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

  /**
   * How the sink behaves.
   *
   * @param starttls offer STARTTLS, with a freshly generated self-signed certificate
   * @param tempfailData answer 451 at the end of DATA, and record nothing
   */
  public record Options(boolean starttls, boolean tempfailData) {

    /** Plaintext only, every message accepted. */
    public static Options defaults() {
      return new Options(false, false);
    }

    /** A sink that offers STARTTLS when {@code on}, and otherwise has the defaults. */
    public static Options starttls(boolean on) {
      return defaults().withStarttls(on);
    }

    public Options withStarttls(boolean on) {
      return new Options(on, tempfailData);
    }

    /** With {@code on}, DATA ends with {@code 451 4.3.0 try later} and nothing is recorded. */
    public Options withTempfailData(boolean on) {
      return new Options(starttls, on);
    }
  }

  /**
   * One message the sink accepted.
   *
   * @param mailFrom the MAIL FROM address without angle brackets ("" for the null sender)
   * @param rcptTos the accepted RCPT TO addresses, in order
   * @param content the DATA content exactly as received, dot-unstuffed, CRLF line ends kept
   * @param tls whether the session had completed STARTTLS
   * @param tlsVersion e.g. {@code TLSv1.3}, or null in plaintext
   * @param cipher the cipher suite's OpenSSL name, or null in plaintext
   * @param tlsResumed whether the session's TLS handshake resumed an earlier session (Python's
   *     {@code SSLObject.session_reused}, as the server saw it)
   */
  public record ReceivedMessage(
      String mailFrom, List<String> rcptTos, byte[] content, boolean tls, String tlsVersion, String cipher,
      boolean tlsResumed) {

    /** The content as text; SMTP content is bytes, so use this only for readable assertions. */
    public String contentAsString() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  private final Path dir;
  private final Path out;
  private final Path stderr;
  private final int port;
  private final X509Certificate certificate;
  private final Process process;
  private final WatchService watcher;

  private SmtpSink(Path dir, Path out, Path stderr, int port, X509Certificate certificate, Process process,
      WatchService watcher) {
    this.dir = dir;
    this.out = out;
    this.stderr = stderr;
    this.port = port;
    this.certificate = certificate;
    this.process = process;
    this.watcher = watcher;
  }

  /**
   * Starts a sink and returns once it accepts connections.
   *
   * @throws IllegalStateException when Python or aiosmtpd is missing, or the sink does not start
   *     within 20 s (the message carries the script's stderr)
   */
  public static SmtpSink start(Options options) {
    return start(options, null, null);
  }

  /**
   * Starts a sink that offers STARTTLS with the given certificate chain and key (PEM), for tests
   * of what a client makes of a particular certificate (one from a CA, a revoked one).
   */
  public static SmtpSink startWithCertificate(Options options, Path chain, Path key) {
    return start(options.withStarttls(true), chain, key);
  }

  private static SmtpSink start(Options options, Path chain, Path key) {
    String python = Peers.python();
    Path dir = null;
    Process process = null;
    WatchService watcher = null;
    try {
      dir = Files.createTempDirectory("postern-sink");
      Path out = Files.createDirectory(dir.resolve("out"));
      Path script = dir.resolve("sink.py");
      try (InputStream in = SmtpSink.class.getResourceAsStream("sink.py")) {
        if (in == null) {
          throw new IllegalStateException("org/postern/testkit/sink.py is missing from the classpath");
        }
        Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      }
      List<String> command = new ArrayList<>(List.of(python, script.toString(), "--out", out.toString()));
      X509Certificate certificate = null;
      if (chain != null) {
        command.addAll(List.of("--cert", chain.toString(), "--key", key.toString()));
        certificate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(Files.readAllBytes(chain)));
      } else if (options.starttls()) {
        TestCa.Issued g = TestCa.selfSigned(dir.resolve("tls"), HOSTNAME);
        command.addAll(List.of("--cert", g.chain().toString(), "--key", g.key().toString()));
        certificate = g.certificate();
      }
      if (options.tempfailData()) {
        command.add("--tempfail-data");
      }
      // Registered before the process starts, so no message file can appear unobserved. On Linux
      // the script's rename of <n>.json.tmp to <n>.json is reported as a creation.
      watcher = FileSystems.getDefault().newWatchService();
      out.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
      int port = FreePorts.loopback();
      command.addAll(List.of("--port", Integer.toString(port)));
      Path stderr = dir.resolve("stderr.log");
      process = new ProcessBuilder(command)
          .redirectError(stderr.toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .start();
      process.getOutputStream().close();
      SmtpSink sink = new SmtpSink(dir, out, stderr, port, certificate, process, watcher);
      sink.awaitReady();
      return sink;
    } catch (IOException | RuntimeException | java.security.cert.CertificateException e) {
      cleanUp(process, watcher, dir);
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("cannot start the SMTP sink: " + e, e);
    }
  }

  /** The port on {@link #HOST}. */
  public int port() {
    return port;
  }

  /** The certificate the sink presents after STARTTLS, or null when it does not offer STARTTLS. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** What the script wrote to stderr so far (aiosmtpd's warnings, Python tracebacks). */
  public String stderr() {
    try {
      return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read stderr: " + e.getMessage() + ")";
    }
  }

  /** The messages accepted so far, in the order they arrived. */
  public List<ReceivedMessage> received() {
    try (Stream<Path> files = Files.list(out)) {
      List<Integer> numbers = files.map(p -> p.getFileName().toString())
          .filter(name -> name.matches("\\d+\\.json"))
          .map(name -> Integer.parseInt(name.substring(0, name.length() - ".json".length())))
          .sorted(Comparator.naturalOrder())
          .toList();
      List<ReceivedMessage> messages = new ArrayList<>();
      for (int n : numbers) {
        messages.add(read(n));
      }
      return messages;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sink's messages in " + out, e);
    }
  }

  /**
   * Waits until at least {@code n} messages were accepted, and returns all accepted so far.
   *
   * @throws org.opentest4j.AssertionFailedError when they do not arrive within {@code timeout} or
   *     the sink dies
   */
  public List<ReceivedMessage> awaitMessages(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<ReceivedMessage> got = received();
      if (got.size() >= n) {
        return got;
      }
      if (!process.isAlive()) {
        return Assertions.fail("the SMTP sink exited with status " + process.exitValue() + " after "
            + got.size() + " of " + n + " messages; stderr:\n" + stderr());
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Assertions.fail("the SMTP sink received " + got.size() + " of " + n + " messages within "
            + timeout + "; stderr:\n" + stderr());
      }
      // The script is another process, so there is nothing to join: we wait for the kernel to
      // report a new file (inotify), not for a fixed time. The 100 ms cap only bounds how late we
      // notice a lost event or a sink that died quietly.
      try {
        WatchKey key = watcher.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Assertions.fail("interrupted while waiting for the SMTP sink");
      }
    }
  }

  /** Stops the sink (SIGTERM, then SIGKILL) and deletes its files. */
  @Override
  public void close() {
    cleanUp(process, watcher, dir);
  }

  private ReceivedMessage read(int n) throws IOException {
    JsonObject meta = new JsonObject(Files.readString(out.resolve(n + ".json"), StandardCharsets.UTF_8));
    byte[] content = Files.readAllBytes(out.resolve(n + ".eml"));
    JsonArray rcpts = meta.getJsonArray("rcpt_tos");
    List<String> rcptTos = new ArrayList<>();
    for (int i = 0; i < rcpts.size(); i++) {
      rcptTos.add(rcpts.getString(i));
    }
    return new ReceivedMessage(meta.getString("mail_from"), List.copyOf(rcptTos), content,
        meta.getBoolean("tls"), meta.getString("tls_version"), meta.getString("cipher"),
        meta.getBoolean("tls_resumed", false));
  }

  private void awaitReady() {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> readStdout(ready), "smtp-sink-stdout-" + port);
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the SMTP sink did not print READY within " + READY_TIMEOUT
          + "; stderr:\n" + stderr());
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage() + "; stderr:\n" + stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the SMTP sink");
    }
  }

  /** Reads stdout until EOF: it signals READY, and keeps the pipe from filling up. */
  private void readStdout(CompletableFuture<Void> ready) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("READY")) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      ready.completeExceptionally(new IllegalStateException("cannot read the SMTP sink's stdout", e));
    }
    ready.completeExceptionally(new IllegalStateException("the SMTP sink exited before it was ready"));
  }

  private static void cleanUp(Process process, WatchService watcher, Path dir) {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(3, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (watcher != null) {
      try {
        watcher.close();
      } catch (IOException e) {
        // Nothing to do: the watch service only held an inotify descriptor.
      }
    }
    if (dir != null) {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A leftover temp directory is harmless, and must not hide the test's own outcome.
    }
  }
}
